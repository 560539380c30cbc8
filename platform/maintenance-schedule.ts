import type { Connection } from '@temporalio/client';
import { ensureIntervalSchedule } from './interval-schedule';

export const maintenanceScheduleId = 'loyalflow-maintenance';

/**
 * Makes sure the Temporal schedule that starts `maintenanceWorkflow` every `everySeconds` exists (one
 * round at a time; a round missed while the cluster was down is not caught up twice). Idempotent:
 * an existing schedule gets the interval given now.
 */
export async function ensureMaintenanceSchedule(
  connection: Connection,
  options: { namespace: string; taskQueue: string; everySeconds: number },
): Promise<'created' | 'updated'> {
  return ensureIntervalSchedule(connection, {
    ...options,
    scheduleId: maintenanceScheduleId,
    workflowType: 'maintenanceWorkflow',
  });
}
