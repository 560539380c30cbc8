import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { expireLots } from './lot-jobs';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from './points';
import { transferPoints } from './transfer';

let t: TestDatabase;
let programId: number;
let accountId: number;
const d = (iso: string) => new Date(iso);

/** The as-of answers the history below must give, whatever happened after each time. */
const expected = {
  '2026-01-01T00:00:00Z': { balance: 0, available: 0, pending: 0, expired: 0, debt: 0 },
  '2026-01-07T00:00:00Z': { balance: -20, available: 0, pending: 0, expired: 0, debt: 20 },
  '2026-01-20T00:00:00Z': { balance: 80, available: 80, pending: 0, expired: 0, debt: 0 },
  '2026-02-12T00:00:00Z': { balance: 100, available: 50, pending: 50, expired: 0, debt: 0 },
  '2026-02-20T00:00:00Z': { balance: 100, available: 100, pending: 0, expired: 0, debt: 0 },
  '2026-03-05T00:00:00Z': { balance: 50, available: 50, pending: 0, expired: 50, debt: 0 },
  '2026-03-20T00:00:00Z': { balance: 30, available: 30, pending: 0, expired: 50, debt: 0 },
  '2026-04-20T00:00:00Z': { balance: 55, available: 55, pending: 0, expired: 50, debt: 0 },
};

async function answers() {
  const out: Record<string, unknown> = {};
  for (const iso of Object.keys(expected)) out[iso] = await pointsBalance(t.db, accountId, d(iso));
  return out;
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  const customerId = await insertCustomer(t.db, programId, 'as-of');
  accountId = await t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  const op = (iso: string) => ({ programId, occurredAt: d(iso), actor: 'test', accountId });
  await t.db.transaction().execute(async (trx) => {
    // 20 taken back on 5 January before anything was earned: a debt, repaid by the 100 earned on 10
    // January (expiring on 1 March), of which 30 are spent on 1 February.
    await clawbackPoints(trx, { ...op('2026-01-05T00:00:00Z'), amount: 20, policy: 'debt' });
    await accruePoints(trx, {
      ...op('2026-01-10T00:00:00Z'),
      amount: 100,
      lot: { activatesAt: d('2026-01-10T00:00:00Z'), expiresAt: d('2026-03-01T00:00:00Z') },
    });
    await spendPoints(trx, { ...op('2026-02-01T00:00:00Z'), amount: 30 });
    // 50 earned on 10 February, usable from 15 February, never expiring; 20 of them spent on 10 March.
    await accruePoints(trx, {
      ...op('2026-02-10T00:00:00Z'),
      amount: 50,
      lot: { activatesAt: d('2026-02-15T00:00:00Z'), expiresAt: null },
    });
    await spendPoints(trx, { ...op('2026-03-10T00:00:00Z'), amount: 20 });
    await accruePoints(trx, {
      ...op('2026-04-10T00:00:00Z'),
      amount: 25,
      lot: { activatesAt: d('2026-04-10T00:00:00Z'), expiresAt: null },
    });
  });
});
afterAll(() => t.drop());

describe('a points balance as of a business time', () => {
  it('answers from the journal and the lot movements dated up to then, unchanged by the expiry job', async () => {
    const before = await answers();
    expect(before).toEqual(expected);
    expect(await expireLots(t.db, { programId, at: d('2026-05-01T00:00:00Z') })).toEqual({
      accounts: 1,
      points: 50,
    });
    expect(await answers()).toEqual(before);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it("dates the expiry's journal entry at the lot's expiry, not when the job ran", async () => {
    const entries = await t.db
      .selectFrom('journal_entries')
      .select(['occurred_at'])
      .where('program_id', '=', programId)
      .where('kind', '=', 'expire')
      .execute();
    expect(entries).toEqual([{ occurred_at: d('2026-03-01T00:00:00Z') }]);
  });
});

describe("an operation's answer", () => {
  it('is the balance as of its business time: points expired but not burnt yet are out of the balance', async () => {
    const customer = async (name: string) => {
      const customerId = await insertCustomer(t.db, programId, name);
      return t.db.transaction().execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
    };
    const [giver, taker] = [await customer('answers-giver'), await customer('answers-taker')];
    const at = d('2026-06-10T00:00:00Z');
    const op = (id: number) => ({ programId, occurredAt: at, actor: 'test', accountId: id });
    // 100 that expired on 1 June (the expiry job has not run) and 50 that never expire.
    await t.db.transaction().execute(async (trx) => {
      await accruePoints(trx, {
        ...op(giver),
        occurredAt: d('2026-05-01T00:00:00Z'),
        amount: 100,
        lot: { activatesAt: d('2026-05-01T00:00:00Z'), expiresAt: d('2026-06-01T00:00:00Z') },
      });
      await accruePoints(trx, {
        ...op(giver),
        occurredAt: d('2026-05-01T00:00:00Z'),
        amount: 50,
        lot: { activatesAt: d('2026-05-01T00:00:00Z'), expiresAt: null },
      });
    });
    const view = (balance: number) => ({ balance, available: balance, pending: 0, expired: 100, debt: 0 });
    const answers = await t.db.transaction().execute(async (trx) => ({
      accrue: (
        await accruePoints(trx, { ...op(giver), amount: 10, lot: { activatesAt: at, expiresAt: null } })
      ).balance,
      spend: (await spendPoints(trx, { ...op(giver), amount: 5 })).balance,
      clawback: (await clawbackPoints(trx, { ...op(giver), amount: 5, policy: 'fail' })).balance,
      transfer: (
        await transferPoints(trx, {
          programId,
          occurredAt: at,
          actor: 'test',
          fromAccountId: giver,
          toAccountId: taker,
          amount: 20,
        })
      ).from,
    }));
    expect(answers).toEqual({ accrue: view(60), spend: view(55), clawback: view(50), transfer: view(30) });
    expect(await pointsBalance(t.db, giver, at)).toEqual(answers.transfer);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
