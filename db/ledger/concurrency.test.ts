import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../engine/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { accruePoints, pointsBalance, spendPoints } from './points';
import { transferPoints } from './transfer';

let t: TestDatabase;
let programId: number;
const at = new Date('2026-04-01T10:00:00+03:00');

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

async function pointsAccount(external: string): Promise<number> {
  const customerId = await insertCustomer(t.db, programId, external);
  return t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
}

async function accrue(accountId: number, amount: number): Promise<void> {
  await t.db.transaction().execute((trx) =>
    accruePoints(trx, {
      programId,
      occurredAt: at,
      actor: 'test',
      accountId,
      amount,
      lot: { activatesAt: at, expiresAt: null },
    }),
  );
}

describe('concurrent operations on one account', () => {
  it('100 concurrent spends never overdraw and lose nothing', async () => {
    const accountId = await pointsAccount('spender');
    await accrue(accountId, 1_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        t.db
          .transaction()
          .execute((trx) =>
            spendPoints(trx, { programId, occurredAt: at, actor: 'test', accountId, amount: 15 }),
          ),
      ),
    );
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(succeeded).toBe(66);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'insufficient_points' });
    expect(refused.every((r) => (r as PromiseRejectedResult).reason instanceof DomainError)).toBe(true);
    expect(await pointsBalance(t.db, accountId, at)).toMatchObject({ balance: 10, available: 10, debt: 0 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('crossing transfers between two accounts neither deadlock nor lose points', async () => {
    const [a, b] = [await pointsAccount('x'), await pointsAccount('y')];
    await accrue(a, 500);
    await accrue(b, 500);
    // Each account sends at most 30 × 11 points, well within its 500: every transfer must go through.
    const transfers = Array.from({ length: 60 }, (_, i) => ({
      fromAccountId: i % 2 ? a : b,
      toAccountId: i % 2 ? b : a,
      amount: 7 + (i % 5),
    }));
    const results = await Promise.allSettled(
      transfers.map((transfer) =>
        t.db
          .transaction()
          .execute((trx) => transferPoints(trx, { programId, occurredAt: at, actor: 'test', ...transfer })),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    // Each way sends 30 × 7 + 6 × (0 + 1 + 2 + 3 + 4) = 270 points: both end where they started.
    expect(await pointsBalance(t.db, a, at)).toMatchObject({ balance: 500, available: 500, debt: 0 });
    expect(await pointsBalance(t.db, b, at)).toMatchObject({ balance: 500, available: 500, debt: 0 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('creates the program counter-account once when the first operations of a program race', async () => {
    const fresh = await createTestDatabase();
    try {
      const { programId: pid } = await seedTestProgram(fresh.db);
      const accounts = [];
      for (let i = 0; i < 12; i += 1) {
        const customerId = await insertCustomer(fresh.db, pid, `race-${i}`);
        accounts.push(
          await fresh.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus')),
        );
      }
      const results = await Promise.allSettled(
        accounts.map((accountId) =>
          fresh.db.transaction().execute((trx) =>
            accruePoints(trx, {
              programId: pid,
              occurredAt: at,
              actor: 'test',
              accountId,
              amount: 5,
              lot: { activatesAt: at, expiresAt: null },
            }),
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const issuance = await fresh.db
        .selectFrom('accounts')
        .select('id')
        .where('kind', '=', 'program')
        .where('role', '=', 'issuance')
        .execute();
      expect(issuance).toHaveLength(1);
    } finally {
      await fresh.drop();
    }
  });
});
