import type { Kysely } from 'kysely';
import { reissueCode } from '../customers/notifier-verification';
import type { Database } from '../schema';
import type { MessagingContext } from './queue';

/**
 * Messages left `sending` longer than the lease were being submitted when their sender stopped: they
 * may or may not have left. They become `unknown` and are never submitted again — a customer must not
 * get a marketing message twice — except that a one-time code gets a successor: a new code, so the
 * customer who waits at the till is not left without one. Returns how many were recovered.
 */
export async function recoverInterruptedSends(
  db: Kysely<Database>,
  context: MessagingContext,
  now: Date,
  leaseMs: number,
): Promise<number> {
  const interrupted = await db
    .updateTable('messages')
    .set({ status: 'unknown', reason: 'interrupted while sending', sealed_body: null })
    .where('status', '=', 'sending')
    .where('sending_at', '<', new Date(now.getTime() - leaseMs))
    .returning(['id', 'kind', 'one_time_code_id'])
    .execute();
  if (interrupted.length === 0) return 0;
  await db
    .insertInto('message_events')
    .values(
      interrupted.map((row) => ({
        message_id: row.id,
        kind: 'unknown',
        at: now,
        detail: JSON.stringify({ reason: 'interrupted while sending' }),
      })),
    )
    .execute();
  for (const row of interrupted) {
    if (row.kind !== 'one-time-code' || row.one_time_code_id === null) continue;
    await db.transaction().execute((trx) =>
      reissueCode(trx, {
        oneTimeCodeId: row.one_time_code_id!,
        now,
        secret: context.secret,
        messaging: context,
      }),
    );
  }
  return interrupted.length;
}
