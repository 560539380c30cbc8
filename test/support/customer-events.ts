import { randomUUID } from 'node:crypto';
import { recordCustomerEvent } from '../../db/commands/record-customer-event';
import type { DB } from '../../db/database';

/** Writes `count` events for a customer the way the API does, one transaction each; returns their ids. */
export async function writeEvents(
  db: DB,
  programId: number,
  customer: string,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const recorded = await db.transaction().execute((trx) =>
      recordCustomerEvent(trx, {
        programId,
        customer,
        type: 'test.step',
        occurredAt: new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString(),
        attributes: { i },
        requestId: randomUUID(),
      }),
    );
    ids.push(recorded.eventId);
  }
  return ids;
}

export async function unprocessedEvents(db: DB): Promise<number> {
  const rows = await db
    .selectFrom('customer_events')
    .select('event_id')
    .where('processed_at', 'is', null)
    .execute();
  return rows.length;
}
