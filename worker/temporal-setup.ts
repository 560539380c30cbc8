import type { Connection } from '@temporalio/client';
import type { TemporalConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { ensureMaintenanceSchedule } from '../platform/maintenance-schedule';
import { registerSearchAttributes } from '../platform/search-attributes';
import { ensureSegmentRecomputeSchedule } from '../platform/segment-schedule';

/**
 * What the platform needs in its Temporal namespace: the search attributes of temporal.yaml, the
 * maintenance schedule and the segment recompute schedule. The worker runs it at every start, so a
 * deployment without `npm start` gets them all; idempotent, and safe with several workers starting at once.
 */
export async function prepareTemporal(
  connection: Connection,
  temporal: Pick<TemporalConfig, 'namespace' | 'taskQueue' | 'searchAttributes' | 'workflows'>,
  log: Logger,
): Promise<void> {
  const added = await registerSearchAttributes(connection, temporal.namespace, temporal.searchAttributes);
  if (added.length) log.info({ added }, 'search attributes registered');
  const everySeconds = temporal.workflows.maintenanceIntervalSeconds;
  const schedule = await ensureMaintenanceSchedule(connection, {
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    everySeconds,
  });
  log.info({ schedule, everySeconds }, 'maintenance schedule');
  const segmentEverySeconds = temporal.workflows.segmentRecomputeIntervalSeconds;
  const segmentSchedule = await ensureSegmentRecomputeSchedule(connection, {
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    everySeconds: segmentEverySeconds,
  });
  log.info({ schedule: segmentSchedule, everySeconds: segmentEverySeconds }, 'segment recompute schedule');
}
