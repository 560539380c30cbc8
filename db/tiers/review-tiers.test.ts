import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedDemoProgram } from '../demo-program';
import { runDueTierReviews } from './periodic-review';
import { reviewTiers } from './review-tiers';
import { putTierLadder } from './tier-ladder';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

it('places every customer by the spend of the window, downgrading as the policy says, once', async () => {
  const { programId } = (await seedDemoProgram(t.db))!;
  await putTierLadder(t.db, {
    programId,
    actor: 'test',
    ladder: {
      tiers: [
        { code: 'base', name: 'Base', threshold: 0 },
        { code: 'gold', name: 'Gold', threshold: 100_000 },
      ],
      window: { months: 12 },
      reviewPeriod: 'monthly',
      downgrade: { policy: 'to-qualified', graceMonths: 0 },
    },
  });
  const store = await t.db.selectFrom('stores').select('id').executeTakeFirstOrThrow();
  const spender = await insertCustomer(t.db, programId, 'spender');
  const lapsed = await insertCustomer(t.db, programId, 'lapsed');
  await t.db
    .updateTable('customers')
    .set({ tier: 'gold', tier_since: new Date('2025-01-01T00:00:00Z') })
    .where('id', '=', lapsed)
    .execute();
  const purchase = (customerId: number, amount: number, at: string, ref: string) =>
    t.db
      .insertInto('purchases')
      .values({
        program_id: programId,
        store_id: store.id,
        customer_id: customerId,
        external_ref: ref,
        occurred_at: new Date(at),
        local_date_time: at.slice(0, 19),
        amount,
        discount: 0,
        final_amount: amount,
        qualifying_amount: amount,
        points_spent: 0,
        points_earned: 0,
        rule_set_version: null,
        check: '{}',
        result: '{}',
        payments: '[]',
      })
      .execute();
  await purchase(spender, 120_000, '2026-10-01T10:00:00Z', 'a');
  await purchase(lapsed, 120_000, '2025-06-01T10:00:00Z', 'b');
  const at = new Date('2026-11-01T00:00:00Z');
  expect(await reviewTiers(t.db, { programId, at, batchSize: 1 })).toEqual({ reviewed: 2, changed: 2 });
  const tiers = await t.db.selectFrom('customers').select(['id', 'tier']).orderBy('id').execute();
  expect(tiers).toEqual([
    { id: spender, tier: 'gold' },
    { id: lapsed, tier: 'base' },
  ]);
  expect(await reviewTiers(t.db, { programId, at })).toEqual({ reviewed: 2, changed: 0 });
});

it('runs a periodic review once per period, as of the period’s start in the program’s zone', async () => {
  const { programId } = await t.db.selectFrom('programs').select('id as programId').executeTakeFirstOrThrow();
  const first = await runDueTierReviews(t.db, new Date('2026-11-15T10:00:00Z'));
  expect(first).toMatchObject([{ programId, periodStart: new Date('2026-10-31T21:00:00Z') }]);
  expect(await runDueTierReviews(t.db, new Date('2026-11-30T10:00:00Z'))).toEqual([]);
  const december = await runDueTierReviews(t.db, new Date('2026-11-30T21:30:00Z'));
  expect(december).toMatchObject([{ programId, periodStart: new Date('2026-11-30T21:00:00Z') }]);
});
