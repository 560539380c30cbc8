import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { expireLots } from './lot-jobs';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from './points';
import { readAccount } from './store';

let t: TestDatabase;
let programId: number;
const d = (iso: string) => new Date(iso);
const returnedAt = d('2026-03-05T00:00:00Z');

/**
 * A purchase on 1 February earns 100 (never expiring), 70 of them spent on 10 February; 40 earned on
 * 5 February are usable from 20 February and expire on 1 March.
 */
async function history(externalId: string): Promise<number> {
  const customerId = await insertCustomer(t.db, programId, externalId);
  const accountId = await t.db
    .transaction()
    .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  const op = (iso: string) => ({ programId, occurredAt: d(iso), actor: 'test', accountId });
  await t.db.transaction().execute(async (trx) => {
    await accruePoints(trx, {
      ...op('2026-02-01T00:00:00Z'),
      amount: 100,
      lot: { activatesAt: d('2026-02-01T00:00:00Z'), expiresAt: null },
    });
    await accruePoints(trx, {
      ...op('2026-02-05T00:00:00Z'),
      amount: 40,
      lot: { activatesAt: d('2026-02-20T00:00:00Z'), expiresAt: d('2026-03-01T00:00:00Z') },
    });
    await spendPoints(trx, { ...op('2026-02-10T00:00:00Z'), amount: 70 });
  });
  return accountId;
}

/** The return of the purchase on 5 March takes its 100 points back under the debt policy. */
const clawBack = (accountId: number) =>
  t.db.transaction().execute((trx) =>
    clawbackPoints(trx, {
      programId,
      occurredAt: returnedAt,
      actor: 'test',
      accountId,
      amount: 100,
      policy: 'debt',
      kind: 'purchase.return.clawback',
    }),
  );

async function snapshot(accountId: number, result: Awaited<ReturnType<typeof clawBack>>) {
  const { balance, debt } = await readAccount(t.db, accountId);
  return {
    answer: { newDebt: result.newDebt, writtenOff: result.writtenOff },
    drawn: result.draws!.reduce((sum, draw) => sum + draw.amount, 0),
    asOf: await pointsBalance(t.db, accountId, returnedAt),
    account: { balance, debt },
  };
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

describe('a clawback at a business time', () => {
  it('draws no lot expired by then: a return gives the same balances whether the expiry job ran before it or not', async () => {
    const burnt = await history('burnt-first');
    expect(await expireLots(t.db, { programId, at: returnedAt })).toEqual({ accounts: 1, points: 40 });
    const unburnt = await history('not-burnt-yet');
    const whenBurnt = await snapshot(burnt, await clawBack(burnt));
    const whenNot = await snapshot(unburnt, await clawBack(unburnt));
    // The 30 left of the purchase's lot are taken, the other 70 become debt; the expired 40 stay expired.
    expect(whenBurnt).toEqual({
      answer: { newDebt: 70, writtenOff: 0 },
      drawn: 30,
      asOf: { balance: -70, available: 0, pending: 0, expired: 40, debt: 70 },
      account: { balance: -70, debt: 70 },
    });
    // Before the job burns the expired lot the stored projection still holds it; the job then burns it.
    expect(whenNot).toEqual({ ...whenBurnt, account: { balance: -30, debt: 70 } });
    expect(await expireLots(t.db, { programId, at: returnedAt })).toEqual({ accounts: 1, points: 40 });
    expect(await readAccount(t.db, unburnt)).toMatchObject({ balance: -70, debt: 70 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
