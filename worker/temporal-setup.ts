import type { Connection } from '@temporalio/client';
import type { TemporalConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { ensureMaintenanceSchedule } from '../platform/maintenance-schedule';
import { registerSearchAttributes } from '../platform/search-attributes';

/**
 * What the platform needs in its Temporal namespace: the search attributes of temporal.yaml and the
 * maintenance schedule. The worker runs it at every start, so a deployment without `npm start` gets
 * both; idempotent, and safe with several workers starting at once.
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
}
