import type { Kysely } from 'kysely';
import { DomainError } from '../../engine/errors';
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
  const stale = await db
    .selectFrom('messages')
    .select('id')
    .where('status', '=', 'sending')
    .where('sending_at', '<', new Date(now.getTime() - leaseMs))
    .execute();
  let recovered = 0;
  // One message per transaction: its status and its code's successor commit together, and one that
  // cannot get a successor (no channel left) does not hold back the others.
  for (const { id } of stale) {
    const done = await db
      .transaction()
      .execute(async (trx) => {
        const row = await trx
          .updateTable('messages')
          .set({ status: 'unknown', reason: 'interrupted while sending', sealed_body: null })
          .where('id', '=', id)
          .where('status', '=', 'sending')
          .returning(['kind', 'one_time_code_id'])
          .executeTakeFirst();
        if (!row) return false;
        await trx
          .insertInto('message_events')
          .values({
            message_id: id,
            kind: 'unknown',
            at: now,
            detail: JSON.stringify({ reason: 'interrupted while sending' }),
          })
          .execute();
        if (row.kind === 'one-time-code' && row.one_time_code_id !== null) {
          await reissueCode(trx, {
            oneTimeCodeId: row.one_time_code_id,
            now,
            secret: context.secret,
            messaging: context,
          });
        }
        return true;
      })
      .catch(async (error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        // The code cannot be sent again (no channel now): the message is still `unknown`, saying why.
        await db
          .updateTable('messages')
          .set({
            status: 'unknown',
            reason: `interrupted while sending; no new code: ${error.message}`,
            sealed_body: null,
          })
          .where('id', '=', id)
          .where('status', '=', 'sending')
          .execute();
        return true;
      });
    if (done) recovered += 1;
  }
  return recovered;
}
