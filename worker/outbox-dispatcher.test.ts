import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoProgram } from '../db/demo-program';
import { seedTestProgram } from '../test/support/program';
import { loadConfig } from '../platform/config';
import { freePort } from '../platform/free-port';
import { createLogger } from '../platform/logger';
import { registerSearchAttributes } from '../platform/search-attributes';
import { startTemporalDevServer } from '../platform/temporal-dev-server';
import { testApi } from '../test/support/api';
import {
  registerOpenEventTypes,
  unprocessedEvents,
  visitorKey,
  writeEvents,
} from '../test/support/customer-events';
import { insertCustomer } from '../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { startTestWorker, type TestWorker } from '../test/support/temporal';
import { waitFor } from '../test/support/wait';
import { customerEventsWorkflowId, processedEventsQuery } from '../workflows/customer-events';
import { OutboxDispatcher } from './outbox-dispatcher';

const log = createLogger('test-dispatcher', 'silent');
const historyFile = path.resolve(import.meta.dirname, '..', 'workflows', 'histories', 'customer-events.json');

function dispatcherFor(t: TestDatabase, worker: TestWorker) {
  return new OutboxDispatcher({
    db: t.db,
    databaseUrl: t.url,
    client: worker.client,
    taskQueue: worker.taskQueue,
    log,
    customerIdleTimeoutMs: 3_600_000,
    pollMs: 200,
    callTimeoutMs: 2_000,
  });
}

/** The events the workflow of a stream (a customer id, or an anonymous visitor's key) has processed. */
async function processedBy(worker: TestWorker, programId: number, streamKey: string): Promise<string[]> {
  return worker.client.workflow
    .getHandle(customerEventsWorkflowId(programId, streamKey))
    .query(processedEventsQuery);
}

describe('vertical slice: engine API → outbox → dispatcher → workflow → activity → PostgreSQL', () => {
  let t: TestDatabase;
  let worker: TestWorker;
  let dispatcher: OutboxDispatcher;

  beforeAll(async () => {
    t = await createTestDatabase();
    worker = await startTestWorker(t.db);
    dispatcher = dispatcherFor(t, worker);
    await dispatcher.start();
  });
  afterAll(async () => {
    await dispatcher.stop();
    await worker.stop();
    await t.drop();
  });

  it('delivers every event to its customer workflow, in order, and the activity writes back', async () => {
    const demo = await seedTestProgram(t.db);
    await registerOpenEventTypes(t.db, demo.programId, ['app.opened']);
    // Each customer's events go to the workflow of their customer id, whatever identifier named them.
    const ids = {
      'C-1': String(await insertCustomer(t.db, demo.programId, 'C-1')),
      'C-2': String(await insertCustomer(t.db, demo.programId, 'C-2')),
    };
    const app = await testApi(t.db);
    const sent: Record<string, string[]> = { 'C-1': [], 'C-2': [] };
    for (let i = 0; i < 6; i += 1) {
      const customer = i % 2 === 0 ? 'C-1' : 'C-2';
      const response = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: {
          authorization: `Bearer ${demo.tillApiKey}`,
          'idempotency-key': `slice-${i}-0000`,
          'x-request-id': `req-slice-${i}`,
        },
        payload: {
          customer: { kind: 'external', value: customer },
          type: 'app.opened',
          occurredAt: `2026-11-25T10:00:0${i}+03:00`,
        },
      });
      expect(response.statusCode).toBe(202);
      sent[customer]!.push(response.json().eventId);
    }
    await app.close();

    await waitFor(async () => (await unprocessedEvents(t.db)) === 0, 20_000, 'all events processed');
    const rows = await t.db.selectFrom('customer_events').select(['customer_key', 'processed_by']).execute();
    for (const row of rows)
      expect(row.processed_by).toBe(customerEventsWorkflowId(demo.programId, row.customer_key));
    // The activity writes the event processed before the workflow records it: wait for the workflow.
    for (const customer of ['C-1', 'C-2'] as const) {
      await waitFor(
        async () =>
          (await processedBy(worker, demo.programId, ids[customer])).length >= sent[customer]!.length,
        10_000,
        `${customer} recorded by its workflow`,
      );
    }
    expect(await processedBy(worker, demo.programId, ids['C-1'])).toEqual(sent['C-1']);
    expect(await processedBy(worker, demo.programId, ids['C-2'])).toEqual(sent['C-2']);

    const handle = worker.client.workflow.getHandle(customerEventsWorkflowId(demo.programId, ids['C-1']));
    const description = await handle.describe();
    expect(description.memo).toEqual({ requestId: 'req-slice-0' });
    if (process.env.LOYALFLOW_RECORD_HISTORIES === '1') {
      writeFileSync(
        historyFile,
        JSON.stringify(JSON.parse(historyToJSON(await handle.fetchHistory())), null, 2),
      );
    }
  });

  it('drops a redelivered event: a batch sent again after a crash is processed once', async () => {
    const programId = (await t.db.selectFrom('programs').select('id').executeTakeFirstOrThrow()).id;
    const ids = await writeEvents(t.db, programId, 'C-3', 5);
    await waitFor(
      async () => (await processedBy(worker, programId, visitorKey('C-3')).catch(() => [])).length === 5,
      20_000,
      'C-3 processed',
    );
    // As if the dispatcher died after signalling and before committing its batch.
    await t.db
      .updateTable('outbox')
      .set({ dispatched_at: null })
      .where('event_id', 'in', ids.slice(1))
      .execute();
    await waitFor(
      async () =>
        (await t.db.selectFrom('outbox').select('id').where('dispatched_at', 'is', null).execute()).length ===
        0,
      20_000,
      'redelivery',
    );
    expect(await processedBy(worker, programId, visitorKey('C-3'))).toEqual(ids);
  });
});

describe('Temporal outage', () => {
  let t: TestDatabase;
  let scratch: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    scratch = mkdtempSync(path.join(tmpdir(), 'lf-outage-'));
  });
  afterAll(async () => {
    await t.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('loses nothing while the dev server is down and delivers every event exactly once when it is back', async () => {
    const port = await freePort();
    const server = async () => {
      const started = await startTemporalDevServer({
        cli: inject('temporalCli'),
        port,
        uiPort: undefined,
        dbFile: path.join(scratch, 'temporal.sqlite'),
        namespace: 'default',
        log,
      });
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      await registerSearchAttributes(connection, 'default', loadConfig().temporal.searchAttributes);
      await connection.close();
      return started;
    };
    let temporal = await server();
    const worker = await startTestWorker(t.db, `127.0.0.1:${port}`);
    const dispatcher = dispatcherFor(t, worker);
    await dispatcher.start();
    try {
      const programId = (await seedDemoProgram(t.db))!.programId;
      const before = await writeEvents(t.db, programId, 'A', 3);
      await waitFor(async () => (await unprocessedEvents(t.db)) === 0, 20_000, 'events before the outage');

      await temporal.stop('SIGTERM');
      const duringA = await writeEvents(t.db, programId, 'A', 10);
      const duringB = await writeEvents(t.db, programId, 'B', 10);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const pending = await t.db
        .selectFrom('outbox')
        .select('id')
        .where('dispatched_at', 'is', null)
        .execute();
      expect(pending).toHaveLength(20);

      temporal = await server();
      await waitFor(async () => (await unprocessedEvents(t.db)) === 0, 60_000, 'catch-up after the outage');
      expect(await processedBy(worker, programId, visitorKey('A'))).toEqual([...before, ...duringA]);
      expect(await processedBy(worker, programId, visitorKey('B'))).toEqual(duringB);
    } finally {
      await dispatcher.stop();
      await worker.stop();
      await temporal.stop('SIGTERM');
    }
  });
});
