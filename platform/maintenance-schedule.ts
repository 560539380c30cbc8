import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Connection } from '@temporalio/client';

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
  const client = new Client({ connection, namespace: options.namespace });
  const spec = { intervals: [{ every: `${options.everySeconds}s` }] };
  try {
    await client.schedule.create({
      scheduleId: maintenanceScheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: 'maintenanceWorkflow',
        taskQueue: options.taskQueue,
        args: [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(maintenanceScheduleId).update((previous) => ({ ...previous, spec }));
    return 'updated';
  }
}
