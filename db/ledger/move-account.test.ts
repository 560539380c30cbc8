import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { mergeCustomers } from '../customers/merge-customers';
import { activateLots } from './lot-jobs';
import { accruePoints, clawbackPoints, pointsBalance, spendPoints } from './points';
import { readAccount } from './store';

let t: TestDatabase;
let programId: number;
let seq = 0;
const d = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

/** A customer with a points account; 100 points earned on 1 January when `earns`. */
async function customer(earns: boolean) {
  const customerId = await insertCustomer(t.db, programId, `move-${(seq += 1)}`);
  const accountId = await t.db
    .transaction()
    .execute((trx) => customerAccount(trx, customerId, 'points', 'bonus'));
  if (earns) {
    await t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: d('2026-01-01T00:00:00Z'),
        actor: 'test',
        accountId,
        amount: 100,
        lot: { activatesAt: d('2026-01-01T00:00:00Z'), expiresAt: null },
      }),
    );
  }
  return { customerId, accountId };
}

/** `merged` merged into `survivor` on 10 January. */
const merge = (survivor: number, merged: number) =>
  t.db.transaction().execute((trx) =>
    mergeCustomers(trx, {
      programId,
      survivorId: survivor,
      mergedId: merged,
      fieldChoices: {},
      actor: 'test',
      occurredAt: d('2026-01-10T00:00:00Z'),
    }),
  );

const activated = async () =>
  (
    await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('program_id', '=', programId)
      .where('type', '=', 'points.activated')
      .execute()
  ).length;

describe('points moved by a merge', () => {
  it('are not announced as activated again', async () => {
    const [survivor, merged] = [await customer(false), await customer(true)];
    expect(await activateLots(t.db, { programId, at: d('2026-01-02T00:00:00Z') })).toBe(1);
    await merge(survivor.customerId, merged.customerId);
    expect(await activateLots(t.db, { programId, at: d('2026-01-11T00:00:00Z') })).toBe(0);
    expect(await activated()).toBe(1);
    const lots = await t.db
      .selectFrom('lots')
      .select(['remaining', 'activated_at'])
      .where('account_id', '=', survivor.accountId)
      .execute();
    expect(lots).toEqual([{ remaining: 100, activated_at: d('2026-01-01T00:00:00Z') }]);
  });

  it('were not on the survivor before the merge: a spend dated earlier is refused, a clawback makes debt', async () => {
    const [survivor, merged] = [await customer(false), await customer(true)];
    await merge(survivor.customerId, merged.customerId);
    const op = {
      programId,
      occurredAt: d('2026-01-05T00:00:00Z'),
      actor: 'test',
      accountId: survivor.accountId,
    };
    await expect(
      t.db.transaction().execute((trx) => spendPoints(trx, { ...op, amount: 30 })),
    ).rejects.toMatchObject({ code: 'insufficient_points' });
    const empty = { balance: 0, available: 0, pending: 0, expired: 0, debt: 0 };
    expect(await pointsBalance(t.db, survivor.accountId, d('2026-01-06T00:00:00Z'))).toEqual(empty);
    expect(await pointsBalance(t.db, survivor.accountId, d('2026-01-11T00:00:00Z'))).toEqual({
      ...empty,
      balance: 100,
      available: 100,
    });

    // A return dated 5 January takes back what the account held then (nothing): all of it is debt.
    const clawback = await t.db
      .transaction()
      .execute((trx) => clawbackPoints(trx, { ...op, amount: 30, policy: 'debt' }));
    expect({ draws: clawback.draws, newDebt: clawback.newDebt, balance: clawback.balance }).toEqual({
      draws: [],
      newDebt: 30,
      balance: { ...empty, balance: -30, debt: 30 },
    });
    expect(await pointsBalance(t.db, survivor.accountId, d('2026-01-11T00:00:00Z'))).toEqual({
      ...empty,
      balance: 70,
      available: 70,
      debt: 30,
    });
    expect(await readAccount(t.db, survivor.accountId)).toMatchObject({ balance: 70, debt: 30 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
