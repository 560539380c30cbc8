import type { Transaction } from 'kysely';
import type { CustomerEventRecorded, RecordCustomerEvent } from '../../engine/contracts/customer-event';
import { appendToOutbox, customerStream } from '../outbox';
import type { Database } from '../schema';

export const customerEventRecordedType = 'customer.event.recorded';

/**
 * Records a custom customer event and publishes it through the outbox in one transaction.
 * `occurredAt` is the business time the caller reports; `recorded_at` is when we stored it.
 */
export async function recordCustomerEvent(
  trx: Transaction<Database>,
  input: RecordCustomerEvent & { programId: number; requestId: string | null },
): Promise<CustomerEventRecorded> {
  const occurredAt = new Date(input.occurredAt);
  const eventId = await appendToOutbox(trx, {
    programId: input.programId,
    stream: customerStream(input.programId, input.customer),
    type: customerEventRecordedType,
    payload: { customerKey: input.customer, eventType: input.type },
    occurredAt,
    requestId: input.requestId,
  });
  const row = await trx
    .insertInto('customer_events')
    .values({
      event_id: eventId,
      program_id: input.programId,
      customer_key: input.customer,
      type: input.type,
      attributes: JSON.stringify(input.attributes),
      occurred_at: occurredAt,
    })
    .returning(['recorded_at'])
    .executeTakeFirstOrThrow();
  return {
    eventId,
    customer: input.customer,
    type: input.type,
    occurredAt: input.occurredAt,
    recordedAt: row.recorded_at.toISOString(),
  };
}
