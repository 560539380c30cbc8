import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { usePurchaseProgram } from '../../test/support/purchase-program';

const { api, backOffice, later, confirm, register } = usePurchaseProgram('returns-after-merge');

const available = async (customer: object) => {
  const lookup = await api.call('/v1/customers/lookup', { customer, at: '2027-01-01T00:00:00Z' });
  expect(lookup.statusCode, lookup.body).toBe(200);
  return lookup.json().points.available as number;
};

/** The customer's own points account as stored, with its journal line count. */
async function ownAccount(customerId: number) {
  const account = await api.t.db
    .selectFrom('accounts')
    .select(['id', 'balance', 'debt'])
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'points')
    .executeTakeFirstOrThrow();
  const lines = await api.t.db
    .selectFrom('journal_lines')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', account.id)
    .executeTakeFirstOrThrow();
  return { balance: account.balance, debt: account.debt, lines: Number(lines.n) };
}

/** Undoes the whole purchase: a return of its four units of milk, or a cancel. */
const undo = (how: 'return' | 'cancel', purchaseId: number) =>
  how === 'return'
    ? api.call('/v1/purchases/returns', {
        purchaseId,
        returnRef: `back-${purchaseId}`,
        occurredAt: later(),
        items: [{ line: 0, quantity: 4 }],
      })
    : api.call('/v1/purchases/cancel', { purchaseId, occurredAt: later() });

describe.each(['return', 'cancel'] as const)('a %s of a purchase made before', (how) => {
  it('a merge takes the points from the survivor, and leaves the merged account untouched at 0', async () => {
    const survivor = await register();
    const merged = await register();
    const bought = await confirm(merged.customer);
    expect(bought.statusCode, bought.body).toBe(201);
    const earned: number = bought.json().result.totalPoints;
    expect(earned).toBeGreaterThan(0);
    const accrued = await api.call('/v1/operations/accrue', {
      customer: survivor.customer,
      amount: 5_000,
      occurredAt: later(),
    });
    expect(accrued.statusCode, accrued.body).toBe(200);
    const merge = await backOffice('/v1/customers/merge', {
      survivorId: survivor.id,
      mergedId: merged.id,
      occurredAt: later(),
    });
    expect(merge.statusCode, merge.body).toBe(200);
    expect(await available(survivor.customer)).toBe(5_000 + earned);
    const dead = await ownAccount(merged.id);
    expect(dead).toMatchObject({ balance: 0, debt: 0 });

    const undone = await undo(how, bought.json().purchaseId);
    expect(undone.statusCode, undone.body).toBeLessThan(300);
    expect(undone.json()).toMatchObject({
      pointsTakenBack: earned,
      customer: { id: survivor.id, balance: 5_000 },
    });
    expect(await available(survivor.customer)).toBe(5_000);
    expect(await ownAccount(merged.id)).toEqual(dead);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('joining a master account takes the points from the pool, not the member’s own account', async () => {
    const member = await register();
    const other = await register();
    const bought = await confirm(member.customer);
    expect(bought.statusCode, bought.body).toBe(201);
    const earned: number = bought.json().result.totalPoints;
    expect(earned).toBeGreaterThan(0);
    const pool = await backOffice('/v1/master-accounts', { name: `Family ${member.id}`, kind: 'family' });
    for (const { customer } of [member, other]) {
      const joined = await backOffice('/v1/master-accounts/members', {
        masterAccountId: pool.json().id,
        customer,
        occurredAt: later(),
      });
      expect(joined.statusCode, joined.body).toBe(200);
    }
    const accrued = await api.call('/v1/operations/accrue', {
      customer: other.customer,
      amount: 3_000,
      occurredAt: later(),
    });
    expect(accrued.statusCode, accrued.body).toBe(200);
    expect(await available(member.customer)).toBe(3_000 + earned);
    const own = await ownAccount(member.id);
    expect(own).toMatchObject({ balance: 0, debt: 0 });

    const undone = await undo(how, bought.json().purchaseId);
    expect(undone.statusCode, undone.body).toBeLessThan(300);
    expect(undone.json()).toMatchObject({
      pointsTakenBack: earned,
      customer: { id: member.id, balance: 3_000 },
    });
    expect(await available(other.customer)).toBe(3_000);
    expect(await ownAccount(member.id)).toEqual(own);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });
});
