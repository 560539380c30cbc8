import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import { customerAccount } from '../customers/accounts';
import { createMasterAccount, joinMasterAccount } from '../customers/master-accounts';
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

/** `merged` merged into `survivor` on 10 January, or at `at`. */
const merge = (survivor: number, merged: number, at = d('2026-01-10T00:00:00Z')) =>
  t.db.transaction().execute((trx) =>
    mergeCustomers(trx, {
      programId,
      survivorId: survivor,
      mergedId: merged,
      fieldChoices: {},
      actor: 'test',
      occurredAt: at,
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

describe('a move dated before points the account holds', () => {
  /** 100 points earned by `accountId` at 10:10 on 1 February, as a till whose clock runs ahead records them. */
  const earnAt1010 = (accountId: number) =>
    t.db.transaction().execute((trx) =>
      accruePoints(trx, {
        programId,
        occurredAt: d('2026-02-01T10:10:00Z'),
        actor: 'test',
        accountId,
        amount: 100,
        lot: { activatesAt: d('2026-02-01T10:10:00Z'), expiresAt: null },
      }),
    );
  const refusal = {
    code: 'operations_after',
    status: 409,
    field: 'occurredAt',
    message: expect.stringContaining('at or after 2026-02-01T10:10:00.000Z'),
  };
  const snapshot = (...accountIds: number[]) =>
    Promise.all(accountIds.map((id) => pointsBalance(t.db, id, d('2026-02-01T10:07:00Z'))));

  it('is refused for a merge, which changes nothing; the merge dated at that time moves the points', async () => {
    const [survivor, merged] = [await customer(false), await customer(false)];
    await earnAt1010(merged.accountId);
    const before = await snapshot(survivor.accountId, merged.accountId);
    await expect(
      merge(survivor.customerId, merged.customerId, d('2026-02-01T10:05:00Z')),
    ).rejects.toMatchObject(refusal);
    expect(await snapshot(survivor.accountId, merged.accountId)).toEqual(before);
    expect(await readAccount(t.db, merged.accountId)).toMatchObject({ balance: 100, debt: 0 });

    await merge(survivor.customerId, merged.customerId, d('2026-02-01T10:10:00Z'));
    const empty = { balance: 0, available: 0, pending: 0, expired: 0, debt: 0 };
    expect(await snapshot(survivor.accountId, merged.accountId)).toEqual([empty, empty]);
    expect(await readAccount(t.db, survivor.accountId)).toMatchObject({ balance: 100, debt: 0 });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('is refused for a pool join, which changes nothing', async () => {
    const member = await customer(false);
    await earnAt1010(member.accountId);
    const masterAccountId = await createMasterAccount(t.db, { programId, name: 'family', kind: 'family' });
    const join = (at: Date) =>
      t.db.transaction().execute((trx) =>
        joinMasterAccount(trx, {
          programId,
          customerId: member.customerId,
          masterAccountId,
          occurredAt: at,
          actor: 'test',
        }),
      );
    await expect(join(d('2026-02-01T10:05:00Z'))).rejects.toMatchObject(refusal);
    expect(await readAccount(t.db, member.accountId)).toMatchObject({ balance: 100, debt: 0 });
    const pooled = await t.db
      .selectFrom('customers')
      .select('master_account_id')
      .where('id', '=', member.customerId)
      .executeTakeFirstOrThrow();
    expect(pooled.master_account_id).toBeNull();
    const { moved } = await join(d('2026-02-01T10:10:00Z'));
    expect(moved.map((m) => m.balance)).toEqual([100]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });
});
