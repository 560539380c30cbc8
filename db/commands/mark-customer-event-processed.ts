import type { DB } from '../database';

/**
 * Marks an event processed by a workflow. Idempotent: a retried call, or a second delivery, changes
 * nothing and reports whether this call was the one that marked it.
 */
export async function markCustomerEventProcessed(
  db: DB,
  input: { eventId: string; processedBy: string; processedAt: Date },
): Promise<{ marked: boolean }> {
  const result = await db
    .updateTable('customer_events')
    .set({ processed_at: input.processedAt, processed_by: input.processedBy })
    .where('event_id', '=', input.eventId)
    .where('processed_at', 'is', null)
    .executeTakeFirst();
  return { marked: result.numUpdatedRows > 0n };
}
