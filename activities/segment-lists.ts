import { ApplicationFailure } from '@temporalio/common';
import type { DB } from '../db/database';
import {
  applyListUpload,
  failListUpload,
  ListUploadMissing,
  resolveListUploadChunk,
  startListUpload,
  type ListUploadStatus,
  type ListUploadSummary,
} from '../db/segments';
import type { Logger } from '../platform/logger';

export type { ListUploadSummary };

/** An upload that cannot be processed (it or a chunk of it is gone) fails at once, without retries. */
async function orFail<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ListUploadMissing) {
      throw ApplicationFailure.nonRetryable(error.message, 'ListUploadMissing');
    }
    throw error;
  }
}

/**
 * Adapters of a static list upload's workflow (db/segments/lists.ts). Each is idempotent: a chunk
 * resolved before is skipped, an upload applied or failed before answers its summary again.
 */
export function createSegmentListActivities(db: DB, log: Logger) {
  return {
    async startListUpload(input: {
      uploadId: number;
    }): Promise<{ status: ListUploadStatus; chunks: number[] }> {
      return orFail(() => startListUpload(db, input.uploadId, new Date()));
    },
    async resolveListUploadChunk(input: {
      uploadId: number;
      chunk: number;
    }): Promise<{ resolved: number; errors: number; skipped: boolean }> {
      return orFail(() => resolveListUploadChunk(db, input.uploadId, input.chunk, new Date()));
    },
    async applyListUpload(input: { uploadId: number }): Promise<ListUploadSummary> {
      const result = await orFail(() => applyListUpload(db, input.uploadId, new Date()));
      log.info(result, 'static list upload applied');
      return result;
    },
    async failListUpload(input: { uploadId: number; failure: string }): Promise<ListUploadSummary | null> {
      const result = await failListUpload(db, input.uploadId, input.failure, new Date());
      log.warn({ ...result, failure: input.failure }, 'static list upload failed');
      return result;
    },
  };
}

export type SegmentListActivities = ReturnType<typeof createSegmentListActivities>;
