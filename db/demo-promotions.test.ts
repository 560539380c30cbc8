import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { seedDemoProgram } from './demo-program';
import { seedDemoPromotions } from './demo-promotions';
import { activeRuleSet } from './promotions/active-rule-set';
import { getTierLadder } from './tiers/tier-ladder';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

it('seeds the demo catalogue, ladder, coupon issue and a published rule set the engine accepts', async () => {
  const demo = (await seedDemoProgram(t.db))!;
  await seedDemoPromotions(t.db, demo.programId);
  const active = await activeRuleSet(t.db, demo.programId);
  expect(active?.compiled.rules.map((r) => r.id)).toContain('happy-hours');
  expect((await getTierLadder(t.db, demo.programId))?.ladder.tiers.map((x) => x.code)).toEqual([
    'base',
    'gold',
    'platinum',
  ]);
  const products = await t.db.selectFrom('products').select('sku').execute();
  expect(products.length).toBeGreaterThan(5);
});
