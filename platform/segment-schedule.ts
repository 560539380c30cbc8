import type { ConnectionLike } from '@temporalio/client';
import { ensureIntervalSchedule } from './interval-schedule';

export const segmentRecomputeScheduleId = 'loyalflow-segment-recompute';

/**
 * Makes sure the Temporal schedule that starts `segmentRecomputeWorkflow` every `everySeconds` exists:
 * the full recompute of every active segment, which keeps time-relative conditions (birthdays,
 * windows, ages) true between data changes. Overlap: skip (a recompute still running when the next is
 * due is not doubled). Idempotent: an existing schedule gets the interval given now.
 */
export async function ensureSegmentRecomputeSchedule(
  connection: ConnectionLike,
  options: {
    namespace: string;
    taskQueue: string;
    everySeconds: number;
    /** Another id than the platform's (a test's schedule on its own task queue). */
    scheduleId?: string;
  },
): Promise<'created' | 'updated'> {
  return ensureIntervalSchedule(connection, {
    ...options,
    scheduleId: options.scheduleId ?? segmentRecomputeScheduleId,
    workflowType: 'segmentRecomputeWorkflow',
  });
}
