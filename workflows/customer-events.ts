import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { CustomerEventSignal } from '../engine/contracts/customer-event';
import type { CustomerEventActivities } from '../activities/customer-events';

export const customerEventSignal = defineSignal<[CustomerEventSignal]>('customerEvent');
export const processedEventsQuery = defineQuery<string[]>('processedEvents');

export interface CustomerEventsInput {
  programId: number;
  customerKey: string;
  /** How long the workflow waits for the next event before it completes (ms); a new event starts it again. */
  idleTimeoutMs: number;
  /** Event ids already handled, carried across continue-as-new so redeliveries stay deduplicated. */
  seenEventIds?: string[];
}

/** How many recent event ids a run remembers; the dispatcher redelivers only its last unfinished batch. */
const rememberedEvents = 1_000;

const { markCustomerEventProcessed } = proxyActivities<CustomerEventActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export function customerEventsWorkflowId(programId: number, customerKey: string): string {
  return `customer-events:${programId}:${customerKey}`;
}

/**
 * One per customer: receives the customer's events from the outbox dispatcher in order, drops
 * redeliveries by event id, and processes each event exactly once, one after another.
 */
export async function customerEventsWorkflow(input: CustomerEventsInput): Promise<void> {
  const seen = new Set(input.seenEventIds ?? []);
  const queue: CustomerEventSignal[] = [];
  const processed: string[] = [];

  setHandler(customerEventSignal, (event) => {
    if (seen.has(event.eventId)) {
      log.info('duplicate delivery dropped', { eventId: event.eventId });
      return;
    }
    seen.add(event.eventId);
    queue.push(event);
  });
  setHandler(processedEventsQuery, () => processed);

  for (;;) {
    const gotEvent = await condition(() => queue.length > 0, input.idleTimeoutMs);
    if (!gotEvent) {
      await condition(allHandlersFinished);
      if (queue.length === 0) return;
    }
    const event = queue.shift()!;
    await markCustomerEventProcessed({ eventId: event.eventId, requestId: event.requestId });
    processed.push(event.eventId);
    if (workflowInfo().continueAsNewSuggested && queue.length === 0) {
      await condition(allHandlersFinished);
      if (queue.length === 0) {
        await continueAsNew<typeof customerEventsWorkflow>({
          ...input,
          seenEventIds: [...seen].slice(-rememberedEvents),
        });
      }
    }
  }
}
