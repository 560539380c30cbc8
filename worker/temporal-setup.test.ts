import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../platform/config';
import { createLogger } from '../platform/logger';
import { maintenanceScheduleId } from '../platform/maintenance-schedule';
import { prepareTemporal } from './temporal-setup';

describe('prepareTemporal (the worker at start-up)', () => {
  let connection: Connection;
  let client: Client;
  const temporal = loadConfig().temporal;
  const log = createLogger('test-worker', 'silent');
  const schedule = () => client.schedule.getHandle(maintenanceScheduleId);

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: temporal.namespace });
  });
  afterAll(async () => {
    await schedule()
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
