import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { DB } from '../../db/database';
import { testMessaging } from './messages';
import { createLogger } from '../../platform/logger';
import { createWorker } from '../../worker/create-worker';

export interface TestWorker {
  worker: Worker;
  client: Client;
  taskQueue: string;
  /** Runs the worker until `stop()`; resolves when it has shut down. */
  running: Promise<void>;
  stop(): Promise<void>;
}

/** A worker with every workflow and activity, on a task queue of its own, against the shared dev server. */
export async function startTestWorker(db: DB, address = inject('temporalAddress')): Promise<TestWorker> {
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    db,
    log: createLogger('test-worker', 'warn'),
    messaging: testMessaging,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });
  const running = worker.run();
  return {
    worker,
    client,
    taskQueue,
    running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await client.connection.close();
      await connection.close();
    },
  };
}
