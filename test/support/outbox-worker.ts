import type { WorkflowHandle } from '@temporalio/client';
import { createLogger } from '../../platform/logger';
import { OutboxDispatcher } from '../../worker/outbox-dispatcher';
import {
  listUploadQueuedSignal,
  segmentListUploadWorkflow,
  segmentListUploadWorkflowId,
} from '../../workflows/segment-lists';
import type { TestDatabase } from './database';
import { startTestWorker, type TestWorker } from './temporal';

export interface OutboxWorker extends TestWorker {
  outbox: OutboxDispatcher;
}

/**
 * What the worker process runs, for a test of the API end to end: a worker with every workflow and
 * activity on a task queue of its own, and the outbox dispatcher starting workflows on it.
 */
export async function startOutboxWorker(t: TestDatabase): Promise<OutboxWorker> {
  const worker = await startTestWorker(t.db);
  const outbox = new OutboxDispatcher({
    db: t.db,
    databaseUrl: t.url,
    client: worker.client,
    taskQueue: worker.taskQueue,
    log: createLogger('test-outbox', 'silent'),
    customerIdleTimeoutMs: 1_000,
    pollMs: 200,
    callTimeoutMs: 2_000,
  });
  await outbox.start();
  return {
    ...worker,
    outbox,
    async stop() {
      await outbox.stop();
      await worker.stop();
    },
  };
}

/** The workflow of a static list upload. */
export function listUploadWorkflow(worker: TestWorker, uploadId: number): WorkflowHandle {
  return worker.client.workflow.getHandle(segmentListUploadWorkflowId(uploadId));
}

/** Delivers an upload's queued event again, as the at-least-once dispatcher may: signal-with-start. */
export function redeliverListUpload(worker: TestWorker, uploadId: number) {
  return worker.client.workflow.signalWithStart(segmentListUploadWorkflow, {
    workflowId: segmentListUploadWorkflowId(uploadId),
    taskQueue: worker.taskQueue,
    args: [{ uploadId }],
    signal: listUploadQueuedSignal,
    signalArgs: [{ uploadId }],
  });
}
