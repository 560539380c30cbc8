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

const skus = 50_000;
/** Even groups keep the largest discount, odd ones the highest priority. */
const groupOf = (n: number) => ({ group: `g${n}`, mode: n % 2 === 0 ? 'max' : 'priority' });
const categories = 500;
const brands = 300;

/**
 * `count` rules: 95 % targeted at one sku, category or brand, 5 % applying to every check; a third
 * with a weekday/time window, a fifth conditioned on a tier; discounts in conflict groups of ten,
 * earning rules stacking.
 */
function ruleSet(count: number, next: () => number): Rule[] {
  const pick = (n: number) => Math.floor(next() * n);
  return Array.from({ length: count }, (_, i) => {
    const global = next() < 0.05;
    const kind = pick(3);
    const target = global
      ? undefined
      : kind === 0
        ? { skus: [`sku-${pick(skus)}`] }
        : kind === 1
          ? { categories: [[`cat-${pick(categories)}`]] }
          : { brands: [`brand-${pick(brands)}`] };
    const earning = next() < 0.3;
    return ruleSchema.parse({
      id: `r${i}`,
      name: `rule ${i}`,
      priority: pick(100),
      ...(earning
        ? {}
        : {
            conflict: groupOf(pick(Math.max(1, count / 10))),
          }),
      ...(target ? { target } : {}),
      ...(next() < 0.33
        ? { schedule: { weekdays: [1, 2, 3, 4, 5], windows: [{ from: '10:00', to: '13:00' }] } }
        : {}),
      ...(next() < 0.2 ? { condition: { type: 'tier', tiers: ['gold'] } } : {}),
      benefit: earning ? { kind: 'earn', bps: 100 + pick(900) } : { kind: 'percent', bps: 100 + pick(2000) },
    });
  });
}

/** Median and p99 of evaluating a 50-line check against 200, 2 000 and 20 000 active rules on one core. */
export function benchPricing(ruleCounts: number[], samples: number) {
  const next = random(42);
  const lines = Array.from({ length: 50 }, (_, i) => ({
    sku: `sku-${Math.floor(next() * skus)}`,
    unitPrice: 100 + Math.floor(next() * 10_000),
    quantity: 1 + Math.floor(next() * 3),
    category: [`cat-${i % categories}`],
    brand: `brand-${Math.floor(next() * brands)}`,
  }));
  const check = parseCheck({
    lines,
    storeId: 'S1',
    localDateTime: '2026-11-23T11:30',
    timeZone: 'Europe/Moscow',
  });
  const customer = parseCustomerContext({ tier: 'gold', pointsBalance: 10_000 });
  const at = new Date('2026-11-23T08:30:00Z');
  return ruleCounts.map((count) => {
    const compiled = compileRules(ruleSet(count, next));
    for (let i = 0; i < 20; i += 1) evaluateCheck(compiled, check, customer, at, { explainAll: false });
    const times: number[] = [];
    for (let i = 0; i < samples; i += 1) {
      const t0 = performance.now();
      evaluateCheck(compiled, check, customer, at, { explainAll: false });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { rules: count, median: percentile(times, 50), p99: percentile(times, 99) };
  });
}
