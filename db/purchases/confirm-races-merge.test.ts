import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { usePurchaseProgram } from '../../test/support/purchase-program';
import { waitFor } from '../../test/support/wait';

const { api, backOffice, confirm, register } = usePurchaseProgram('confirm-races-merge');
const pairs = 20;

/** The customer's own points account: its balance and the points its open lots hold. */
async function ownPoints(customerId: number) {
  const account = await api.t.db
    .selectFrom('accounts')
    .select(['id', 'balance'])
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'points')
    .executeTakeFirstOrThrow();
  const lots = await api.t.db
    .selectFrom('lots')
    .select((eb) => eb.fn.sum<string | null>('remaining').as('points'))
    .where('account_id', '=', account.id)
    .executeTakeFirstOrThrow();
  return { balance: account.balance, lots: Number(lots.points) };
}

const minute = 60_000;

/** Sessions of this database waiting on a lock. */
async function waiting(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock'`.execute(api.t.db);
  return rows[0]!.n;
}

describe('a confirm racing a merge of its customer', () => {
  it('never leaves points on the merged account: every confirmed purchase earns on the survivor', async () => {
    const base = Date.parse('2026-11-26T09:00:00Z');
    type Registered = Awaited<ReturnType<typeof register>>;
    const cases: Array<{ survivor: Registered; merged: Registered; accountId: number; earned: number }> = [];
    for (let i = 0; i < pairs; i += 1) {
      const survivor = await register();
      const merged = await register();
      // The merged customer has a points account before the race.
      const first = await confirm(merged.customer, { occurredAt: new Date(base).toISOString() });
      expect(first.statusCode, first.body).toBe(201);
      const { id } = await api.t.db
        .selectFrom('accounts')
        .select('id')
        .where('customer_id', '=', merged.id)
        .where('kind', '=', 'points')
        .executeTakeFirstOrThrow();
      cases.push({ survivor, merged, accountId: id, earned: first.json().result.totalPoints as number });
    }
    const buy = (c: (typeof cases)[number]) =>
      confirm(c.merged.customer, { occurredAt: new Date(base + minute).toISOString() });

    // Each merge, then each confirm (its customer read before the merge commits) waits on the merged
    // customer's points account, which a transaction holds until both wait; then they go in that order.
    // In rounds of five pairs: the API shares this database's pool of 20 connections.
    const merged = [];
    const bought = [];
    for (let round = 0; round < pairs; round += 5) {
      const batch = cases.slice(round, round + 5);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => (locked = resolve));
      const blocker = api.t.db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('accounts')
          .select('id')
          .where(
            'id',
            'in',
            batch.map((c) => c.accountId),
          )
          .forUpdate()
          .execute();
        locked();
        await released;
      });
      try {
        await holding;
        const merges = batch.map((c) =>
          backOffice('/v1/customers/merge', {
            survivorId: c.survivor.id,
            mergedId: c.merged.id,
            occurredAt: new Date(base + 2 * minute).toISOString(),
          }),
        );
        await waitFor(async () => (await waiting()) === batch.length, 20_000, 'the merges to wait');
        const confirms = batch.map(buy);
        await waitFor(async () => (await waiting()) === 2 * batch.length, 20_000, 'the confirms to wait');
        release();
        merged.push(...(await Promise.all(merges)));
        bought.push(...(await Promise.all(confirms)));
      } finally {
        release();
        await blocker;
      }
    }

    for (const [i, c] of cases.entries()) {
      expect(merged[i]!.statusCode, merged[i]!.body).toBe(200);
      let purchase = bought[i]!;
      // Refused with a request to send it again: the customer was merged while it waited.
      if (purchase.statusCode !== 201) {
        expect(purchase.statusCode, purchase.body).toBe(409);
        expect(purchase.json().error.code, purchase.body).toBe('try_again');
        purchase = await buy(c);
        expect(purchase.statusCode, purchase.body).toBe(201);
      }
      expect(purchase.json().customer.id).toBe(c.survivor.id);
      const earned = c.earned + (purchase.json().result.totalPoints as number);
      expect({ survivor: await ownPoints(c.survivor.id), merged: await ownPoints(c.merged.id) }).toEqual({
        survivor: { balance: earned, lots: earned },
        merged: { balance: 0, lots: 0 },
      });
    }
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  }, 120_000);
});
