import { sql } from 'kysely';
import { consentDecision, type LegalBasis } from '../../engine/messaging/consent';
import type { Trx } from '../ledger/store';
import { consentStates } from './consents';

/** A receipt carries at most this many messages: it is not a newsletter. */
const receiptMessagesPerCheck = 3;

/**
 * The customer's receipt messages due by the purchase's business time, oldest first, taken for this
 * check's receipt in the confirm's transaction: marked delivered (sent and delivered at the recording
 * time) with a `delivered` event naming the purchase; answers their lines, to print after the loyalty
 * block. Marketing whose consent was withdrawn since it was queued is skipped with that reason, as
 * the sender does. The till's common case, nothing queued, is one statement on the partial index
 * `messages_receipt` (its predicate written as literals, so a prepared statement's generic plan still
 * uses it); `skip locked`: a message another till's confirm has taken is not printed twice, and
 * nothing waits on it.
 */
export async function takeReceiptMessages(
  trx: Trx,
  input: { customerId: number; purchaseId: number; at: Date; now: Date; legalBasis: LegalBasis },
): Promise<string[]> {
  const { rows } = await sql<{ id: number; body: string; purpose: string; topic: string | null }>`
    select id, body, purpose, topic from messages
    where customer_id = ${input.customerId} and status = 'queued' and channel = 'receipt'
      and not_before <= ${input.at}::timestamptz
    order by id
    limit ${sql.lit(receiptMessagesPerCheck)}
    for update skip locked`.execute(trx);
  if (rows.length === 0) return [];
  const states = rows.some((row) => row.purpose === 'marketing')
    ? ((await consentStates(trx, [input.customerId])).get(input.customerId) ?? [])
    : [];
  const allowed = rows.filter(
    (row) =>
      row.purpose === 'transactional' ||
      consentDecision({
        purpose: 'marketing',
        channel: 'receipt',
        topic: row.topic,
        legalBasis: input.legalBasis,
        states,
      }).allowed,
  );
  const refused = rows.filter((row) => !allowed.includes(row));
  const mark = async (ids: number[], status: 'delivered' | 'skipped', detail: object) => {
    if (ids.length === 0) return;
    await trx
      .updateTable('messages')
      .set(
        status === 'delivered'
          ? { status, sent_at: input.now, delivered_at: input.now }
          : { status, reason: 'consent_withdrawn' },
      )
      .where('id', '=', (eb) => eb.fn.any(eb.val(ids)))
      .execute();
    await trx
      .insertInto('message_events')
      .values(
        ids.map((id) => ({ message_id: id, kind: status, at: input.now, detail: JSON.stringify(detail) })),
      )
      .execute();
  };
  await mark(
    allowed.map((row) => row.id),
    'delivered',
    { purchaseId: input.purchaseId },
  );
  await mark(
    refused.map((row) => row.id),
    'skipped',
    { reason: 'consent_withdrawn', when: 'before printing' },
  );
  return allowed.flatMap((row) => {
    const text = row.body.trimEnd();
    return text ? text.split(/\r?\n/) : [];
  });
}
