import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { maintenanceScheduleId } from '../platform/maintenance-schedule';
import { segmentRecomputeScheduleId } from '../platform/segment-schedule';
import { prepareTemporal } from './temporal-setup';

describe('prepareTemporal (the worker at start-up)', () => {
  let connection: Connection;
  let client: Client;
  const temporal = loadConfig().temporal;
  const log = createLogger('test-worker', 'silent');
  const schedule = () => client.schedule.getHandle(maintenanceScheduleId);
  const segmentSchedule = () => client.schedule.getHandle(segmentRecomputeScheduleId);

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: temporal.namespace });
  });
  afterAll(async () => {
    await schedule()
      .delete()
      .catch(() => undefined);
    await segmentSchedule()
      .delete()
      .catch(() => undefined);
    await connection.close();
  });

  it('recreates a deleted maintenance schedule with the configured interval, and a second run changes nothing', async () => {
    await prepareTemporal(connection, temporal, log);
    await schedule().delete();
    await expect(schedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);

    await prepareTemporal(connection, temporal, log);
    const first = await schedule().describe();
    expect(first.spec.intervals?.map((interval) => interval.every)).toEqual([
      temporal.workflows.maintenanceIntervalSeconds * 1000,
    ]);
    expect(first.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'maintenanceWorkflow',
      taskQueue: temporal.taskQueue,
    });

    await prepareTemporal(connection, temporal, log);
    const second = await schedule().describe();
    expect(second.spec).toEqual(first.spec);
    expect(second.action).toMatchObject({
      workflowType: 'maintenanceWorkflow',
      taskQueue: temporal.taskQueue,
    });
    expect(second.info.createdAt).toEqual(first.info.createdAt);
  });

  it('takes a new interval on the next start', async () => {
    const workflows = { ...temporal.workflows, maintenanceIntervalSeconds: 600 };
    await prepareTemporal(connection, { ...temporal, workflows }, log);
    expect((await schedule().describe()).spec.intervals?.[0]?.every).toBe(600_000);
  });

  it('ensures the segment recompute schedule with its interval, skipping overlaps, and takes a new interval', async () => {
    await prepareTemporal(connection, temporal, log);
    await segmentSchedule().delete();
    await prepareTemporal(connection, temporal, log);
    const described = await segmentSchedule().describe();
    expect(described.spec.intervals?.map((interval) => interval.every)).toEqual([
      temporal.workflows.segmentRecomputeIntervalSeconds * 1000,
    ]);
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'segmentRecomputeWorkflow',
      taskQueue: temporal.taskQueue,
    });
    expect(described.policies.overlap).toBe('SKIP');
    const workflows = { ...temporal.workflows, segmentRecomputeIntervalSeconds: 86_400 };
    await prepareTemporal(connection, { ...temporal, workflows }, log);
    const updated = await segmentSchedule().describe();
    expect(updated.spec.intervals?.[0]?.every).toBe(86_400_000);
    expect(updated.info.createdAt).toEqual(described.info.createdAt);
  });

  it('registers every search attribute of temporal.yaml with its type', async () => {
    await prepareTemporal(connection, temporal, log);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining(Object.keys(temporal.searchAttributes)),
    );
  });
});
