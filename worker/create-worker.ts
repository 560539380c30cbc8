import path from 'node:path';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import type { DB } from '../db/database';
import type { MessagingContext } from '../db/messaging/queue';
import type { Logger } from '../platform/logger';

export const workflowsPath = path.resolve(import.meta.dirname, '..', 'workflows', 'index.ts');

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: DB;
  log: Logger;
  /** What activities that send messages need (the server secret, the API's public URL, default channels). */
  messaging: MessagingContext;
  /** A prebuilt workflow bundle (tests build one and share it); else the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The Temporal worker running every workflow and activity of the platform. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath }),
    activities: createActivities(setup.db, setup.log, setup.messaging),
  });
}
