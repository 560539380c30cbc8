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
  for (let i = 0; i < Math.max(...clientCounts); i += 1) accounts.push(await benchAccount(db, programId, i));
  const op = (accountId: number, i: number) => accrueOrSpend(db, programId, accountId, i, at);
  const results = [];
  for (const clients of clientCounts) {
    const own = await measure(clients, durationMs, (client, i) => op(accounts[client]!, i));
    const shared = await measure(clients, durationMs, (_client, i) => op(accounts[0]!, i));
    results.push({ clients, own, shared });
  }
  return results;
}

const at = new Date('2026-06-01T12:00:00Z');

/** A customer's points account. */
async function benchAccount(db: DB, programId: number, i: number): Promise<number> {
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
  return db.transaction().execute((trx) => customerAccount(trx, id, 'points', 'bonus'));
}

/** The `i`-th operation on an account: accrue 10 when even, else spend 5, at `when`, one transaction. */
function accrueOrSpend(db: DB, programId: number, accountId: number, i: number, when: Date) {
  const ctx = { programId, occurredAt: when, actor: 'bench', accountId };
  return db.transaction().execute(async (trx) => {
    if (i % 2 === 0)
      await accruePoints(trx, { ...ctx, amount: 10, lot: { activatesAt: when, expiresAt: null } });
    else await spendPoints(trx, { ...ctx, amount: 5 });
  });
}

/**
 * Accrue and spend alternating on one account with a long history (`pairs` accrue+spend pairs, an hour
 * apart, before now) beside a fresh account, one client: an operation at about now should cost the same
 * on both. Each pair of the history leaves an open lot of 5 behind, as a customer who keeps half of
 * what they earn.
 */
export async function benchLedgerHistory(db: DB, pairs: number, durationMs: number) {
  const { programId } = (await seedDemoProgram(db))!;
  const [fresh, long] = [await benchAccount(db, programId, 0), await benchAccount(db, programId, 1)];
  const hour = 3_600_000;
  for (let i = 0; i < 2 * pairs; i += 1) {
    await accrueOrSpend(db, programId, long, i, new Date(at.getTime() - (2 * pairs - i) * hour));
  }
  return {
    pairs,
    fresh: await measure(1, durationMs, (_client, i) => accrueOrSpend(db, programId, fresh, i, at)),
    long: await measure(1, durationMs, (_client, i) => accrueOrSpend(db, programId, long, i, at)),
  };
}
