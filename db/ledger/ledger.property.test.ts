import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../engine/errors';
import { availableAt, planSpend, type LotDraw } from '../../engine/ledger/lots';
import { createTestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import type { DB } from '../database';
import { moveCash } from './cash';
import { convertCashAndPoints } from './convert';
import { expireLots } from './lot-jobs';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from './points';
import { openLots, readAccount } from './store';
import { transferPoints } from './transfer';

type Op =
  | { op: 'accrue'; who: number; amount: number; delay: number; life: number | null }
  | { op: 'spend'; who: number; amount: number }
  | { op: 'clawback'; who: number; amount: number; policy: 'debt' | 'write-off' }
  | { op: 'transfer'; who: number; to: number; amount: number }
  | { op: 'topUp'; who: number; amount: number }
  | { op: 'convert'; who: number; direction: 'cash-to-points' | 'points-to-cash'; amount: number }
  | { op: 'expire' }
  | { op: 'wait'; days: number };

const who = fc.integer({ min: 0, max: 2 });
const amount = fc.integer({ min: 1, max: 400 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('accrue' as const),
    who,
    amount,
    delay: fc.integer({ min: 0, max: 3 }),
    life: fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
  }),
  fc.record({ op: fc.constant('spend' as const), who, amount }),
  fc.record({
    op: fc.constant('clawback' as const),
    who,
    amount,
    policy: fc.constantFrom('debt' as const, 'write-off' as const),
  }),
  fc.record({ op: fc.constant('transfer' as const), who, to: who, amount }),
  fc.record({
    op: fc.constant('topUp' as const),
    who,
    amount: fc.integer({ min: 1, max: 50 }).map((n) => n * 100),
  }),
  fc.record({
    op: fc.constant('convert' as const),
    who,
    direction: fc.constantFrom('cash-to-points' as const, 'points-to-cash' as const),
    amount: fc.integer({ min: 1, max: 30 }),
  }),
  fc.constant({ op: 'expire' as const }),
  fc.record({ op: fc.constant('wait' as const), days: fc.integer({ min: 1, max: 4 }) }),
);

const day = 86_400_000;

/** The refusals each operation may give on these inputs; any other error fails the property. */
const allowedRefusals: Record<Op['op'], readonly string[]> = {
  accrue: [],
  spend: ['insufficient_points'],
  clawback: [],
  transfer: ['insufficient_points', 'same_account'],
  topUp: [],
  convert: ['insufficient_points', 'insufficient_funds'],
  expire: [],
  wait: [],
};

interface Accounts {
  points: number[];
  cash: number[];
}

/** The ledger's rows: what a refused operation must leave exactly as it was. */
async function ledgerRows(db: DB) {
  return {
    accounts: await db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    lots: await db.selectFrom('lots').selectAll().orderBy('id').execute(),
    entries: await db.selectFrom('journal_entries').selectAll().orderBy('id').execute(),
    lines: await db.selectFrom('journal_lines').selectAll().orderBy('id').execute(),
    movements: await db.selectFrom('lot_movements').selectAll().orderBy('id').execute(),
  };
}

/**
 * An account's balance as of `at` agrees with what it holds now, when nothing is dated after `at`: the
 * available points the engine finds in its open lots, the pending ones, its debt, and its projection less
 * the expired points not burnt yet.
 */
async function expectAsOfAgrees(db: DB, accountId: number, at: Date): Promise<void> {
  const [lots, account] = [await openLots(db, accountId), await readAccount(db, accountId)];
  const sum = (keep: (lot: (typeof lots)[number]) => boolean) =>
    lots.filter(keep).reduce((total, lot) => total + lot.remaining, 0);
  const expired = (lot: (typeof lots)[number]) => lot.expiresAt !== null && lot.expiresAt <= at;
  expect(await pointsBalance(db, accountId, at)).toMatchObject({
    balance: account.balance - sum(expired),
    available: availableAt(lots, account.debt, at),
    pending: sum((lot) => lot.activatesAt > at && !expired(lot)),
    debt: account.debt,
  });
}

async function apply(db: DB, programId: number, accounts: Accounts, op: Op, at: Date): Promise<void> {
  const ctx = { programId, occurredAt: at, actor: 'test' };
  const points = (i: number) => accounts.points[i]!;
  const cash = (i: number) => accounts.cash[i]!;
  switch (op.op) {
    case 'accrue': {
      const activatesAt = new Date(at.getTime() + op.delay * day);
      const expiresAt = op.life === null ? null : new Date(activatesAt.getTime() + op.life * day);
      const accountId = points(op.who);
      const result = await db
        .transaction()
        .execute((trx) =>
          accruePoints(trx, { ...ctx, accountId, amount: op.amount, lot: { activatesAt, expiresAt } }),
        );
      expect(result.balance).toEqual(await pointsBalance(db, accountId, at));
      return;
    }
    case 'spend': {
      const accountId = points(op.who);
      const [lots, { debt }] = [await openLots(db, accountId), await readAccount(db, accountId)];
      let expected: LotDraw[] | undefined;
      try {
        expected = planSpend(lots, debt, op.amount, at);
      } catch {
        expected = undefined;
      }
      const result = await db
        .transaction()
        .execute((trx) => spendPoints(trx, { ...ctx, accountId, amount: op.amount }))
        .catch((error: unknown) => {
          expect(expected).toBeUndefined();
          throw error;
        });
      expect(result.draws).toEqual(expected);
      expect(result.balance).toEqual(await pointsBalance(db, accountId, at));
      return;
    }
    case 'clawback': {
      const accountId = points(op.who);
      const result = await db
        .transaction()
        .execute((trx) => clawbackPoints(trx, { ...ctx, accountId, amount: op.amount, policy: op.policy }));
      expect(result.balance).toEqual(await pointsBalance(db, accountId, at));
      return;
    }
    case 'transfer': {
      const [fromAccountId, toAccountId] = [points(op.who), points(op.to)];
      const result = await db
        .transaction()
        .execute((trx) => transferPoints(trx, { ...ctx, fromAccountId, toAccountId, amount: op.amount }));
      expect(result.from).toEqual(await pointsBalance(db, fromAccountId, at));
      expect(result.to).toEqual(await pointsBalance(db, toAccountId, at));
      return;
    }
    case 'topUp': {
      const accountId = cash(op.who);
      const result = await db.transaction().execute((trx) =>
        moveCash(trx, {
          ...ctx,
          accountId,
          amount: op.amount,
          direction: 'credit',
          role: 'cash_clearing',
          kind: 'top-up',
        }),
      );
      expect(result.balance).toBe((await readAccount(db, accountId)).balance);
      return;
    }
    case 'convert': {
      const [cashAccountId, pointsAccountId] = [cash(op.who), points(op.who)];
      const value = op.direction === 'cash-to-points' ? op.amount * 100 : op.amount;
      const result = await db.transaction().execute((trx) =>
        convertCashAndPoints(trx, {
          ...ctx,
          direction: op.direction,
          amount: value,
          rate: { points: 1, cash: 100 },
          cashAccountId,
          pointsAccountId,
          lot: { activatesAt: at, expiresAt: null },
        }),
      );
      expect(result.cashBalance).toBe((await readAccount(db, cashAccountId)).balance);
      return;
    }
    case 'expire':
      await expireLots(db, { programId, at });
      return;
    case 'wait':
      return;
  }
}

describe('ledger under random operation sequences', () => {
  it('keeps every invariant after every step, answers the balance it leaves; refusals change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
        const t = await createTestDatabase();
        try {
          const { programId } = await seedTestProgram(t.db);
          const customers = [
            await insertCustomer(t.db, programId, 'a'),
            await insertCustomer(t.db, programId, 'b'),
            await insertCustomer(t.db, programId, 'c'),
          ];
          const open = (kind: 'points' | 'cash', currency: string) =>
            Promise.all(
              customers.map((id) =>
                t.db.transaction().execute((trx) => customerAccount(trx, id, kind, currency)),
              ),
            );
          const accounts = { points: await open('points', 'bonus'), cash: await open('cash', 'RUB') };
          let at = new Date('2026-03-01T09:00:00Z');
          for (const op of ops) {
            if (op.op === 'wait') at = new Date(at.getTime() + op.days * day);
            const before = await ledgerRows(t.db);
            try {
              await apply(t.db, programId, accounts, op, at);
            } catch (error) {
              if (!(error instanceof DomainError)) throw error;
              expect(allowedRefusals[op.op]).toContain(error.code);
              expect(await ledgerRows(t.db)).toEqual(before);
            }
            expect(await ledgerViolations(t.db)).toEqual([]);
            for (const accountId of accounts.points) await expectAsOfAgrees(t.db, accountId, at);
          }
        } finally {
          await t.drop();
        }
      }),
      { numRuns: 12 },
    );
  });
});
