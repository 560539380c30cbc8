import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from './schema';

export interface OutboxEvent {
  programId: number;
  stream: string;
  type: string;
  payload: Record<string, unknown>;
  /** The business time of the change. */
  occurredAt: Date;
  requestId?: string | null;
  eventId?: string;
}

/** Appends an event in the caller's transaction: it is published if and only if the change commits. */
export async function appendToOutbox(trx: Transaction<Database>, event: OutboxEvent): Promise<string> {
  const eventId = event.eventId ?? randomUUID();
  await trx
    .insertInto('outbox')
    .values({
      event_id: eventId,
      program_id: event.programId,
      stream: event.stream,
      type: event.type,
      payload: JSON.stringify(event.payload),
      request_id: event.requestId ?? null,
      occurred_at: event.occurredAt,
    })
    .execute();
  return eventId;
}

/** The stream that orders a customer's events. */
export function customerStream(programId: number, customerKey: string): string {
  return `customer:${programId}:${customerKey}`;
}
