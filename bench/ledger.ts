import { customerAccount } from '../db/customers/accounts';
import { seedDemoProgram } from '../db/demo-program';
import type { DB } from '../db/database';
import { accruePoints, spendPoints } from '../db/ledger/points';
import { measure } from './stats';

/**
 * Ledger throughput on one PostgreSQL: each client works on its own customer (accrue then spend, each a
 * transaction with lock, entry, lines, projection, lot and movements), so the figure is the ledger's
 * cost, not a queue on one row. A second run has every client spend from one shared account.
 */
export async function benchLedger(db: DB, clientCounts: number[], durationMs: number) {
  const { programId } = (await seedDemoProgram(db))!;
  const accounts: number[] = [];
  for (let i = 0; i < Math.max(...clientCounts); i += 1) {
    const { id } = await db
      .insertInto('customers')
      .values({
        program_id: programId,
        referral_code: `BENCH${i}`,
        registration_channel: 'import',
        registered_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    accounts.push(await db.transaction().execute((trx) => customerAccount(trx, id, 'points', 'bonus')));
  }
  const at = new Date('2026-06-01T12:00:00Z');
  const ctx = { programId, occurredAt: at, actor: 'bench' };
  const op = (accountId: number, i: number) =>
    db.transaction().execute(async (trx) => {
      if (i % 2 === 0)
        await accruePoints(trx, { ...ctx, accountId, amount: 10, lot: { activatesAt: at, expiresAt: null } });
      else await spendPoints(trx, { ...ctx, accountId, amount: 5 });
    });
  const results = [];
  for (const clients of clientCounts) {
    const own = await measure(clients, durationMs, (client, i) => op(accounts[client]!, i));
    const shared = await measure(clients, durationMs, (_client, i) => op(accounts[0]!, i));
    results.push({ clients, own, shared });
  }
  return results;
}
