import { productSchema } from '../engine/contracts/catalogue';
import { upsertProducts } from './catalogue/products';
import { createCouponIssue } from './coupons/coupon-issues';
import type { DB } from './database';
import { createRuleSet, publishRuleSet } from './promotions/rule-sets';
import { putTierLadder } from './tiers/tier-ladder';

/**
 * What the demo program sells and promotes, from the seeds' coffee-shop and retail examples: a small
 * catalogue, the Base/Gold/Platinum ladder (5/10/15 %), happy hours ×2 on weekdays, 4 for 3 on dairy,
 * a fixed promo price, at most 50 % paid with points, a welcome coupon and a next-visit coupon on
 * big checks. Seeded with the program, once; the start command prints how to try it.
 */
const products = [
  { sku: 'CAPPUCCINO', name: 'Cappuccino 300 ml', category: ['coffee', 'hot'], brand: 'house' },
  { sku: 'LATTE', name: 'Latte 400 ml', category: ['coffee', 'hot'], brand: 'house' },
  { sku: 'CROISSANT', name: 'Croissant', category: ['bakery'], brand: 'house' },
  { sku: 'MILK-1L', name: 'Milk 3.2 % 1 l', category: ['dairy', 'milk'], brand: 'prostokvashino' },
  { sku: 'YOGURT', name: 'Greek yogurt 140 g', category: ['dairy', 'yogurt'], brand: 'teos' },
  { sku: 'BEANS-1KG', name: 'Coffee beans 1 kg', category: ['coffee', 'beans'], brand: 'house' },
  { sku: 'CIGARETTES', name: 'Cigarettes', category: ['tobacco'], noRedemption: true },
].map((p) => productSchema.parse(p));

const tier = (code: string, bps: number) => ({
  id: `tier-${code}`,
  name: `${code[0]!.toUpperCase()}${code.slice(1)} ${bps / 100} %`,
  condition: { type: 'tier', tiers: [code] },
  benefit: { kind: 'earn', bps },
  conflict: { group: 'tier-earn', mode: 'max' },
});

const rules = [
  tier('base', 500),
  tier('gold', 1000),
  tier('platinum', 1500),
  {
    id: 'happy-hours',
    name: 'Happy hours: points ×2 on weekdays 10–13 and 15–17',
    schedule: {
      weekdays: [1, 2, 3, 4, 5],
      windows: [
        { from: '10:00', to: '13:00' },
        { from: '15:00', to: '17:00' },
      ],
    },
    benefit: { kind: 'multiplier', ruleIds: ['tier-base', 'tier-gold', 'tier-platinum'], factorBps: 20_000 },
    receiptMessage: { ru: 'Счастливые часы: баллы ×2', en: 'Happy hours: points ×2' },
  },
  {
    id: 'dairy-4for3',
    name: '4 for 3 on dairy',
    target: { categories: [['dairy']] },
    benefit: { kind: 'mForN', buy: 4, pay: 3 },
  },
  {
    id: 'croissant-price',
    name: 'Croissant for 99.00',
    target: { skus: ['CROISSANT'] },
    benefit: { kind: 'fixedPrice', unitPrice: 9900 },
  },
  { id: 'cap-50', name: 'At most 50 % paid with points', benefit: { kind: 'redeemCap', bps: 5000 } },
  {
    id: 'welcome-coupon',
    name: '15 % with a welcome coupon',
    coupon: { issueIds: ['welcome'] },
    benefit: { kind: 'percent', bps: 1500 },
  },
  {
    id: 'next-visit',
    name: 'A welcome coupon for the next visit on checks from 1 500.00',
    condition: { type: 'checkAmount', min: 150_000 },
    benefit: { kind: 'issueCoupon', issueId: 'welcome', quantity: 1 },
    receiptMessage: {
      ru: 'Купон на скидку 15 % — на следующий визит',
      en: 'A 15 % coupon for your next visit',
    },
  },
];

export async function seedDemoPromotions(db: DB, programId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const actor = { programId, actor: 'demo-seed' };
    await upsertProducts(trx, { ...actor, items: products });
    await createCouponIssue(trx, {
      programId,
      code: 'welcome',
      name: 'Welcome 15 %',
      kind: 'single_use',
      pattern: { prefix: 'WL', length: 8, group: 4 },
      maxUsesPerCustomer: 1,
      lifetimeSeconds: 30 * 86_400,
      shortDescription: '15 % off one purchase',
    });
    await putTierLadder(trx, {
      ...actor,
      ladder: {
        tiers: [
          { code: 'base', name: 'Base', threshold: 0 },
          { code: 'gold', name: 'Gold', threshold: 1_500_000 },
          { code: 'platinum', name: 'Platinum', threshold: 5_000_000 },
        ],
        window: { months: 12 },
        reviewPeriod: 'on-purchase',
        downgrade: { policy: 'to-qualified', graceMonths: 1 },
      },
    });
    const draft = await createRuleSet(trx, { ...actor, rules, note: 'Demo promotions' });
    await publishRuleSet(trx, { ...actor, version: draft.version });
  });
}
