import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoProgram } from '../db/demo-program';
import { loadConfig } from '../platform/config';
import { freePort } from '../platform/free-port';
import { createLogger } from '../platform/logger';
import { registerSearchAttributes } from '../platform/search-attributes';
import { startTemporalDevServer } from '../platform/temporal-dev-server';
import { unprocessedEvents, visitorKey, writeEvents } from '../test/support/customer-events';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { startTestWorker, type TestWorker } from '../test/support/temporal';
import { waitFor } from '../test/support/wait';
import { customerEventsWorkflowId } from '../workflows/customer-events';
import { OutboxDispatcher } from './outbox-dispatcher';

/**
 * The customer workflow's two ways out besides the happy path: completing after its idle timeout and
 * continuing as new when Temporal suggests it. With LOYALFLOW_RECORD_HISTORIES=1 the runs are written
 * to workflows/histories/ for the replay test.
 */
const log = createLogger('test-customer-events', 'silent');
const histories = path.resolve(import.meta.dirname, '..', 'workflows', 'histories');

async function record(handle: WorkflowHandle, runId: string, file: string): Promise<void> {
  if (process.env.LOYALFLOW_RECORD_HISTORIES !== '1') return;
  const history = await handle.client.getHandle(handle.workflowId, runId).fetchHistory();
  writeFileSync(path.join(histories, file), JSON.stringify(JSON.parse(historyToJSON(history)), null, 2));
}

function dispatcher(t: TestDatabase, worker: TestWorker, customerIdleTimeoutMs: number): OutboxDispatcher {
  return new OutboxDispatcher({
    db: t.db,
    databaseUrl: t.url,
    client: worker.client,
    taskQueue: worker.taskQueue,
    log,
    customerIdleTimeoutMs,
    pollMs: 200,
    callTimeoutMs: 2_000,
  });
}

describe('customerEventsWorkflow', () => {
  let t: TestDatabase;
  let programId: number;

  beforeAll(async () => {
    t = await createTestDatabase();
    programId = (await seedDemoProgram(t.db))!.programId;
  });
  afterAll(async () => {
    await t.drop();
  });

  it('completes once it has waited its idle timeout without events', async () => {
    const worker = await startTestWorker(t.db);
    const outbox = dispatcher(t, worker, 1_000);
    await outbox.start();
    try {
      await writeEvents(t.db, programId, 'idle', 2);
      const handle = worker.client.workflow.getHandle(
        customerEventsWorkflowId(programId, visitorKey('idle')),
      );
      await waitFor(async () => (await unprocessedEvents(t.db)) === 0, 20_000, 'events processed');
      await expect(handle.result()).resolves.toBeUndefined();
      const description = await handle.describe();
      expect(description.status.name).toBe('COMPLETED');
      await record(handle, description.runId, 'customer-events-idle.json');
    } finally {
      await outbox.stop();
      await worker.stop();
    }
  });

  it('continues as new when Temporal suggests it, carrying the events it has seen', async () => {
    const port = await freePort();
    const server = await startTemporalDevServer({
      cli: inject('temporalCli'),
      port,
      uiPort: undefined,
      dbFile: undefined,
      namespace: 'default',
      log,
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 20 },
    });
    const address = `127.0.0.1:${port}`;
    const connection = await Connection.connect({ address });
    await registerSearchAttributes(connection, 'default', loadConfig().temporal.searchAttributes);
    await connection.close();
    const worker = await startTestWorker(t.db, address);
    const outbox = dispatcher(t, worker, 3_600_000);
    await outbox.start();
    try {
      const ids = await writeEvents(t.db, programId, 'long', 6);
      await waitFor(async () => (await unprocessedEvents(t.db)) === 0, 30_000, 'events processed');
      const workflowId = customerEventsWorkflowId(programId, visitorKey('long'));
      // The run continues as new once its queue is empty, after the last event is marked; the list is
      // read from visibility, which follows a moment later.
      let runs: Array<{ runId: string; status: string }> = [];
      await waitFor(
        async () => {
          runs = [];
          for await (const run of worker.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
            runs.push({ runId: run.runId, status: run.status.name });
          return runs.some((run) => run.status === 'CONTINUED_AS_NEW');
        },
        20_000,
        'a run continued as new',
      );
      const rows = await t.db
        .selectFrom('customer_events')
        .select(['event_id', 'processed_by'])
        .where('event_id', 'in', ids)
        .execute();
      expect(rows.map((row) => row.processed_by)).toEqual(ids.map(() => workflowId));

      // A redelivery of the first event reaches the latest run, which still knows it was seen.
      const handle = worker.client.workflow.getHandle(workflowId);
      await t.db
        .updateTable('customer_events')
        .set({ processed_at: null })
        .where('event_id', '=', ids[0]!)
        .execute();
      await t.db.updateTable('outbox').set({ dispatched_at: null }).where('event_id', '=', ids[0]!).execute();
      await waitFor(
        async () =>
          (await t.db.selectFrom('outbox').select('id').where('dispatched_at', 'is', null).execute())
            .length === 0,
        20_000,
        'redelivery',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await unprocessedEvents(t.db)).toBe(1);

      const first = runs.find((run) => run.status === 'CONTINUED_AS_NEW')!;
      await record(handle, first.runId, 'customer-events-continue-as-new.json');
    } finally {
      await outbox.stop();
      await worker.stop();
      await server.stop('SIGTERM');
    }
  });
});
