import {
  Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type ConnectionLike,
} from '@temporalio/client';

/**
 * Makes sure a Temporal schedule starting `workflowType` every `everySeconds` exists (one run at a
 * time: a run still going when the next is due skips it; a run missed while the cluster was down is
 * caught up once at most). Idempotent: an existing schedule gets the interval given now.
 */
export async function ensureIntervalSchedule(
  connection: ConnectionLike,
  options: {
    namespace: string;
    taskQueue: string;
    scheduleId: string;
    workflowType: string;
    everySeconds: number;
  },
): Promise<'created' | 'updated'> {
  const client = new Client({ connection, namespace: options.namespace });
  const spec = { intervals: [{ every: `${options.everySeconds}s` }] };
  try {
    await client.schedule.create({
      scheduleId: options.scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: options.workflowType,
        taskQueue: options.taskQueue,
        args: [],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, spec }));
    return 'updated';
  }
}
