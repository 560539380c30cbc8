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
  return settleUnknown(
    db,
    context,
    stale.map((row) => row.id),
    now,
    'interrupted while sending',
  );
}

/**
 * Messages still `sending` whose fate cannot be known (interrupted, or a provider that may have taken
 * them before it failed) become `unknown`, each in its own transaction with its code's successor:
 * one that cannot get a successor (no channel now) does not hold back the others. Returns how many.
 */
export async function settleUnknown(
  db: Kysely<Database>,
  context: MessagingContext,
  ids: readonly number[],
  now: Date,
  reason: string,
): Promise<number> {
  let settled = 0;
  for (const id of ids) {
    const mark = (trx: Kysely<Database>, why: string) =>
      trx
        .updateTable('messages')
        .set({ status: 'unknown', reason: why, sealed_body: null })
        .where('id', '=', id)
        .where('status', '=', 'sending')
        .returning(['kind', 'one_time_code_id'])
        .executeTakeFirst();
    const done = await db
      .transaction()
      .execute(async (trx) => {
        const row = await mark(trx, reason);
        if (!row) return false;
        await trx
          .insertInto('message_events')
          .values({ message_id: id, kind: 'unknown', at: now, detail: JSON.stringify({ reason }) })
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
        return (await mark(db, `${reason}; no new code: ${error.message}`)) !== undefined;
      });
    if (done) settled += 1;
  }
  return settled;
}
