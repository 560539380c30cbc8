import { parseCheck, parseCustomerContext } from '../engine/pricing/check';
import { compileRules } from '../engine/pricing/compile';
import { evaluateCheck } from '../engine/pricing/evaluate';
import { ruleSchema, type Rule } from '../engine/pricing/rules';
import { percentile } from './stats';

/** A deterministic pseudo-random sequence (mulberry32), so every run measures the same rule sets. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A supermarket-sized catalogue: 50 000 skus, a three-level category tree (20 × 10 × 10), 1 000 brands,
 * 100 stores, three tiers.
 */
const skus = 50_000;
const brands = 1_000;
const stores = 100;
const tiers = ['bronze', 'silver', 'gold'];
const categoryOf = (n: number) => [
  `c${n % 20}`,
  `c${n % 20}.${(n >> 5) % 10}`,
  `c${n % 20}.${(n >> 5) % 10}.${(n >> 9) % 10}`,
];

/**
 * `count` active rules, as a large retailer runs them:
 * - 95 % target goods — 60 % of those a sku (supplier promotions), 25 % a category (leaf 85 %, middle
 *   12 %, top 3 %), 15 % a brand; their discounts compete per line for the best one, and so do
 *   their points offers; 3-for-2 stacks;
 * - 5 % apply to any check: 60 % of them in one to three stores; their discounts compete in four
 *   conflict groups (two by largest discount, two by priority), their earning rules in one `max` group
 *   (the tier ladder);
 * - 70 % discounts (percent, fixed price, amount per unit, 3-for-2) and 30 % earning rules;
 * - a third with a two-to-four-hour window on weekdays or at the weekend, a fifth for one tier.
 */
function ruleSet(count: number, next: () => number): Rule[] {
  const pick = (n: number) => Math.floor(next() * n);
  return Array.from({ length: count }, (_, i) => {
    const global = next() < 0.05;
    const earning = next() < 0.3;
    const kind = next();
    const level = next();
    const target = global
      ? undefined
      : kind < 0.6
        ? { skus: [`sku-${pick(skus)}`] }
        : kind < 0.85
          ? { categories: [categoryOf(pick(skus)).slice(0, level < 0.85 ? 3 : level < 0.97 ? 2 : 1)] }
          : { brands: [`brand-${pick(brands)}`] };
    const start = 8 + pick(12);
    const conditions = [
      ...(global && next() < 0.6
        ? [{ type: 'store', storeIds: Array.from({ length: 1 + pick(3) }, () => `S${pick(stores)}`) }]
        : []),
      ...(next() < 0.2 ? [{ type: 'tier', tiers: [tiers[pick(3)]] }] : []),
    ];
    const discounts = [
      { kind: 'percent', bps: 100 + pick(2000) },
      { kind: 'fixedPrice', unitPrice: 50 + pick(5000) },
      { kind: 'amountPerUnit', amount: 10 + pick(200) },
      { kind: 'mForN', buy: 3, pay: 2 },
    ];
    const benefit = earning ? { kind: 'earn', bps: 100 + pick(900) } : discounts[pick(discounts.length)]!;
    const checkGroup = pick(4);
    const conflict = global
      ? earning
        ? { group: 'tier-earn', mode: 'max' }
        : { group: `check-${checkGroup}`, mode: checkGroup % 2 === 0 ? 'max' : 'priority' }
      : benefit.kind === 'mForN'
        ? undefined
        : earning
          ? { group: 'item-points', mode: 'max', scope: 'line' }
          : { group: 'item-best', mode: 'max', scope: 'line' };
    return ruleSchema.parse({
      id: `r${i}`,
      name: `rule ${i}`,
      priority: pick(100),
      ...(conflict ? { conflict } : {}),
      ...(target ? { target } : {}),
      ...(next() < 0.33
        ? {
            schedule: {
              weekdays: next() < 0.7 ? [1, 2, 3, 4, 5] : [6, 7],
              windows: [{ from: `${String(start).padStart(2, '0')}:00`, to: `${start + 2 + pick(3)}:00` }],
            },
          }
        : {}),
      ...(conditions.length === 1 ? { condition: conditions[0] } : {}),
      ...(conditions.length > 1 ? { condition: { type: 'and', all: conditions } } : {}),
      benefit,
    });
  });
}

/** Median and p99 of evaluating a 50-line check against 200, 2 000 and 20 000 active rules on one core. */
export function benchPricing(ruleCounts: number[], samples: number) {
  const next = random(42);
  const lines = Array.from({ length: 50 }, () => {
    const n = Math.floor(next() * skus);
    return {
      sku: `sku-${n}`,
      unitPrice: 100 + Math.floor(next() * 10_000),
      quantity: 1 + Math.floor(next() * 3),
      category: categoryOf(n),
      brand: `brand-${n % brands}`,
    };
  });
  const check = parseCheck({
    lines,
    storeId: 'S7',
    localDateTime: '2026-11-23T11:30',
    timeZone: 'Europe/Moscow',
  });
  const customer = parseCustomerContext({ tier: 'gold', pointsBalance: 10_000 });
  const at = new Date('2026-11-23T08:30:00Z');
  return ruleCounts.map((count) => {
    const compiled = compileRules(ruleSet(count, next));
    const { explanations } = evaluateCheck(compiled, check, customer, at, { explainAll: false });
    for (let i = 0; i < 20; i += 1) evaluateCheck(compiled, check, customer, at, { explainAll: false });
    const times: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const t0 = performance.now();
      evaluateCheck(compiled, check, customer, at, { explainAll: false });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      rules: count,
      candidates: explanations.length,
      applied: explanations.filter((e) => e.status === 'applied').length,
      median: percentile(times, 50),
      p99: percentile(times, 99),
    };
  });
}
