import { sql } from 'kysely';
import { planExpiry, type LotDraw } from '../../engine/ledger/lots';
import type { DB } from '../database';
import { appendToOutbox } from '../outbox';
import { lockAccount, openLots, postEntry, programAccount } from './store';

/**
 * Burns every lot that has expired by `at`: one entry per account and expiry time (customer → program
 * expiry account), dated at the lots' expiry, so the journal says when the points were lost whenever the
 * job runs. The available balance already excluded these points. Safe to call again and from several
 * schedulers: each account is locked and re-planned inside its transaction.
 */
export async function expireLots(
  db: DB,
  input: { programId: number; at: Date; limit?: number },
): Promise<{ accounts: number; points: number }> {
  const candidates = await db
    .selectFrom('lots')
    .innerJoin('accounts', 'accounts.id', 'lots.account_id')
    .select('lots.account_id')
    .distinct()
    .where('accounts.program_id', '=', input.programId)
    .where('lots.remaining', '>', sql.lit(0))
    .where('lots.expires_at', '<=', input.at)
    .limit(input.limit ?? 1_000)
    .execute();
  let points = 0;
  for (const { account_id: accountId } of candidates) {
    points += await db.transaction().execute(async (trx) => {
      const account = await lockAccount(trx, accountId);
      const lots = await openLots(trx, accountId);
      const expiryOf = new Map(lots.map((lot) => [lot.id, lot.expiresAt?.getTime() ?? Infinity]));
      const byExpiry = new Map<number, LotDraw[]>();
      for (const burn of planExpiry(lots, input.at)) {
        const at = expiryOf.get(burn.lotId)!;
        byExpiry.set(at, [...(byExpiry.get(at) ?? []), burn]);
      }
      if (byExpiry.size === 0) return 0;
      const counter = await programAccount(trx, input.programId, 'expiry', account.currency);
      let total = 0;
      for (const [expiresAt, burns] of byExpiry) {
        const amount = burns.reduce((sum, b) => sum + b.amount, 0);
        total += amount;
        await postEntry(trx, {
          programId: input.programId,
          kind: 'expire',
          occurredAt: new Date(expiresAt),
          actor: 'system:expiry',
          draws: burns,
          lines: [
            { accountId, currency: account.currency, amount: -amount },
            { accountId: counter, currency: account.currency, amount },
          ],
        });
        await trx
          .updateTable('lots')
          .set({ burnt_at: new Date(expiresAt) })
          .where(
            'id',
            'in',
            burns.map((b) => b.lotId),
          )
          .execute();
      }
      return total;
    });
  }
  return { accounts: candidates.length, points };
}

/**
 * Marks lots whose activation time has come and publishes `points.activated` (for messages such as
 * "your points are ready"). The balance never waits for this job: availability is computed from dates.
 */
export async function activateLots(db: DB, input: { programId: number; at: Date }): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const activated = await trx
      .updateTable('lots')
      .set((eb) => ({ activated_at: eb.ref('lots.activates_at') }))
      .from('accounts')
      .whereRef('accounts.id', '=', 'lots.account_id')
      .where('accounts.program_id', '=', input.programId)
      .where('lots.activated_at', 'is', null)
      .where('lots.activates_at', '<=', input.at)
      .where('lots.remaining', '>', sql.lit(0))
      .returning([
        'lots.id',
        'lots.account_id',
        'lots.remaining',
        'lots.activates_at',
        'accounts.customer_id',
        'accounts.currency',
      ])
      .execute();
    for (const lot of activated) {
      await appendToOutbox(trx, {
        programId: input.programId,
        stream: `account:${lot.account_id}`,
        type: 'points.activated',
        payload: {
          lotId: lot.id,
          accountId: lot.account_id,
          customerId: lot.customer_id,
          points: lot.remaining,
          currency: lot.currency,
        },
        occurredAt: lot.activates_at,
      });
    }
    return activated.length;
  });
}
