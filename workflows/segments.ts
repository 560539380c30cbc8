import { proxyActivities } from '@temporalio/workflow';
import type { SegmentActivities, SegmentRecomputeReport } from '../activities/segments';

const { programsWithActiveSegments } = proxyActivities<SegmentActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumAttempts: 10 },
});

/** A program's recompute reads and writes all its customers: at a million, well under a minute. */
const { recomputeProgram } = proxyActivities<SegmentActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '10 seconds', maximumAttempts: 10 },
});

/**
 * The scheduled full recompute of every active segment, as of the time the run starts (the
 * workflow's clock, recorded in its history, passed to each activity): time-relative conditions
 * (birthdays, windows, ages) change without any data changing, so the incremental refresher cannot
 * see them. Programs one after the other, each program's segments in dependency order.
 */
export async function segmentRecomputeWorkflow(): Promise<SegmentRecomputeReport> {
  const at = new Date().toISOString();
  const programs: SegmentRecomputeReport['programs'] = [];
  for (const programId of await programsWithActiveSegments()) {
    programs.push(await recomputeProgram(programId, at));
  }
  return { at, programs };
}
