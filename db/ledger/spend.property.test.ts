import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../engine/errors';
import { planSpend, type LotDraw } from '../../engine/ledger/lots';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { moveAccounts } from './move-account';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from './points';
import { openLots } from './store';

let t: TestDatabase;
let programId: number;
let customers = 0;
const at = new Date('2026-05-10T12:00:00Z');
const day = 86_400_000;

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

const lotArb = fc.record({
  amount: fc.integer({ min: 1, max: 60 }),
  activatesIn: fc.integer({ min: -3, max: 2 }),
  life: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
});

/**
 * Spending reads only the lots it may draw from, in SQL; the draws must be those the engine plans on
 * every open lot of the account, and the balance it answers the account's balance as of the spend.
 */
describe('spending from many lots', () => {
  it('draws what the engine plans on all open lots, and refuses when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lotArb, { minLength: 0, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 300 }),
        async (lots, debt, amount) => {
          // The lots are earned on another account and moved in, so they do not repay the debt.
          const account = async () => {
            customers += 1;
            const customerId = await insertCustomer(t.db, programId, `spender-${customers}`);
            return t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
          };
          const [accountId, earner] = [await account(), await account()];
          const before = { programId, occurredAt: new Date(at.getTime() - 4 * day), actor: 'test' };
          if (debt > 0) {
            await t.db
              .transaction()
              .execute((trx) => clawbackPoints(trx, { ...before, accountId, amount: debt, policy: 'debt' }));
          }
          for (const lot of lots) {
            const activatesAt = new Date(at.getTime() + lot.activatesIn * day);
            const expiresAt = lot.life === null ? null : new Date(activatesAt.getTime() + lot.life * day);
            await t.db.transaction().execute((trx) =>
              accruePoints(trx, {
                ...before,
                accountId: earner,
                amount: lot.amount,
                lot: { activatesAt, expiresAt },
              }),
            );
          }
          await t.db.transaction().execute((trx) =>
            moveAccounts(trx, [{ from: earner, to: accountId }], {
              ...before,
              occurredAt: at,
              kind: 'pool',
              reason: 'test',
              details: {},
            }),
          );
          const open = await openLots(t.db, accountId);
          let expected: LotDraw[] | undefined;
          try {
            expected = planSpend(open, debt, amount, at);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            expected = undefined;
          }
          const spent = t.db
            .transaction()
            .execute((trx) =>
              spendPoints(trx, { programId, occurredAt: at, actor: 'test', accountId, amount }),
            );
          if (expected === undefined) {
            await expect(spent).rejects.toMatchObject({ code: 'insufficient_points' });
            return;
          }
          const result = await spent;
          expect(result.draws).toEqual(expected);
          expect(result.balance).toMatchObject({ debt });
          expect(result.balance).toEqual(await pointsBalance(t.db, accountId, at));
        },
      ),
      { numRuns: 60 },
    );
  });
});
