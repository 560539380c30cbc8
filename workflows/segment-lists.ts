import { ActivityFailure, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ListUploadSummary, SegmentListActivities } from '../activities/segment-lists';

/** The outbox dispatcher's delivery of the upload's queued event: it starts the workflow, nothing more. */
export const listUploadQueuedSignal = defineSignal<[{ uploadId: number }]>('listUploadQueued');

export interface SegmentListUploadInput {
  uploadId: number;
}

export function segmentListUploadWorkflowId(uploadId: number): string {
  return `segment-list-upload:${uploadId}`;
}

/**
 * A lasting failure (the database away for long, a bug) fails the upload after about a quarter of an
 * hour instead of leaving it running for ever; an upload that is gone fails at once (non-retryable).
 */
const retry = { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 };
const { startListUpload, resolveListUploadChunk, applyListUpload } = proxyActivities<SegmentListActivities>({
  startToCloseTimeout: '5 minutes',
  retry,
});
const { failListUpload } = proxyActivities<SegmentListActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Chunks resolved side by side: the database's work of one overlaps the worker's of the other. */
const parallelChunks = 2;

/**
 * One static list upload (db/segments/lists.ts): resolves its chunks, two at a time — each
 * activity adds to the progress the back office polls — then applies it to the list in one
 * transaction. Every step is idempotent, so a redelivered start (a new run for a finished upload)
 * resolves nothing and answers the summary again. An upload that cannot be processed is marked failed.
 */
export async function segmentListUploadWorkflow(
  input: SegmentListUploadInput,
): Promise<ListUploadSummary | null> {
  setHandler(listUploadQueuedSignal, () => undefined);
  const { uploadId } = input;
  try {
    const { chunks } = await startListUpload({ uploadId });
    let next = 0;
    const lane = async () => {
      while (next < chunks.length) {
        const chunk = chunks[next]!;
        next += 1;
        await resolveListUploadChunk({ uploadId, chunk });
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelChunks, chunks.length) }, lane));
    return await applyListUpload({ uploadId });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    return failListUpload({ uploadId, failure: cause });
  }
}
