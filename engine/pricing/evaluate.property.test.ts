import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateCheck, type EvaluationResult } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import { phaseOf, type Benefit, type LineFilter, type Rule } from './rules';

const SKUS = ['A', 'B', 'C', 'D'];

const benefitArb: fc.Arbitrary<Benefit> = fc.oneof(
  fc.record({ kind: fc.constant('percent' as const), bps: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ kind: fc.constant('amountPerCheck' as const), amount: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({ kind: fc.constant('amountPerLine' as const), amount: fc.integer({ min: 0, max: 5000 }) }),
  fc.record({ kind: fc.constant('amountPerUnit' as const), amount: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({ kind: fc.constant('fixedPrice' as const), unitPrice: fc.integer({ min: 0, max: 3000 }) }),
  fc
    .record({ buy: fc.integer({ min: 2, max: 5 }), free: fc.integer({ min: 1, max: 2 }) })
    .map(({ buy, free }) => ({ kind: 'mForN' as const, buy, pay: Math.max(0, buy - free) })),
  fc.record({ kind: fc.constant('earn' as const), bps: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ kind: fc.constant('fixedPoints' as const), points: fc.integer({ min: 0, max: 500 }) }),
  fc.record({
    kind: fc.constant('multiplier' as const),
    ruleIds: fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], { minLength: 1 }),
    factorBps: fc.integer({ min: 10_000, max: 30_000 }),
  }),
  fc.record({ kind: fc.constant('redeemCap' as const), bps: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ kind: fc.constant('pointsPerUnit' as const), points: fc.integer({ min: 0, max: 50 }) }),
  fc
    .record({
      a: fc.integer({ min: 1, max: 3 }),
      b: fc.integer({ min: 1, max: 2 }),
      bps: fc.integer({ min: 0, max: 10_000 }),
      setPrice: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
    })
    .map(({ a, b, bps, setPrice }) => ({
      kind: 'bundle' as const,
      items: [
        { filter: { skus: ['A', 'B'] }, quantity: a },
        { filter: { categories: [['x']] }, quantity: b, ...(setPrice === undefined ? { bps } : {}) },
      ],
      ...(setPrice === undefined ? {} : { setPrice }),
    })),
);

const rulesArb: fc.Arbitrary<Rule[]> = fc
  .array(
    fc.record({
      priority: fc.integer({ min: 0, max: 3 }),
      benefit: benefitArb,
      mode: fc.constantFrom('none', 'priority', 'max', 'stack'),
      target: fc.constantFrom<LineFilter | undefined>(
        undefined,
        { skus: ['A'] },
        { skus: ['B', 'C'] },
        { categories: [['x']] },
        { brands: ['acme'] },
        { maxUnitPrice: 1000 },
      ),
      tier: fc.constantFrom(undefined, 'gold', 'silver'),
      budget: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
    }),
    { maxLength: 8 },
  )
  .map((specs) =>
    specs.map((s, i) =>
      rule({
        id: `r${i}`,
        priority: s.priority,
        benefit: s.benefit,
        ...(s.mode === 'none'
          ? {}
          : {
              conflict: {
                group: `${phaseOf(s.benefit)}-${s.mode}`,
                mode: s.mode as 'priority' | 'max' | 'stack',
              },
            }),
        ...(s.target ? { target: s.target } : {}),
        ...(s.tier ? { condition: { type: 'tier' as const, tiers: [s.tier] } } : {}),
        ...(s.budget === undefined ? {} : { limits: { totalDiscount: s.budget, totalPoints: s.budget } }),
      }),
    ),
  );

const linesArb = fc.array(
  fc.record({
    sku: fc.constantFrom(...SKUS),
    price: fc.integer({ min: 0, max: 5000 }),
    qty: fc.integer({ min: 1, max: 5 }),
    weighted: fc.boolean(),
    grams: fc.integer({ min: 1, max: 3000 }),
    category: fc.constantFrom<string[]>(['x'], ['x', 'y'], ['z']),
    brand: fc.constantFrom(undefined, 'acme'),
    noRedemption: fc.boolean(),
  }),
  { minLength: 1, maxLength: 8 },
);

const toCheck = (ls: Parameters<typeof build>[0]) => build(ls);
function build(
  ls: {
    sku: string;
    price: number;
    qty: number;
    weighted: boolean;
    grams: number;
    category: string[];
    brand: string | undefined;
    noRedemption: boolean;
  }[],
) {
  return check(
    ls.map((l) =>
      line(l.sku, l.price, l.weighted ? l.grams : l.qty, {
        weighted: l.weighted,
        category: l.category,
        noRedemption: l.noRedemption,
        ...(l.brand ? { brand: l.brand } : {}),
      }),
    ),
  );
}

const ctxArb = fc.constantFrom(undefined, 'gold', 'silver').map((tier) => customer(tier ? { tier } : {}));

/** The result with its lines as a multiset, to compare evaluations of shuffled lines. */
const canonical = (r: EvaluationResult) => ({
  ...r,
  lines: r.lines.map(({ index: _, ...l }) => JSON.stringify(l)).sort(),
});

describe('evaluateCheck properties', () => {
  it('a discount never exceeds the price and every unit adds up', () => {
    fc.assert(
      fc.property(rulesArb, linesArb, ctxArb, (rules, ls, ctx) => {
        const r = evaluateCheck(rules, toCheck(ls), ctx, at);
        for (const l of r.lines) {
          for (const u of l.units) {
            expect(u.finalPrice).toBeGreaterThanOrEqual(0);
            expect(u.finalPrice).toBeLessThanOrEqual(u.price);
            expect(u.discounts.reduce((a, d) => a + d.amount, 0)).toBe(u.price - u.finalPrice);
            expect(u.discounts.every((d) => d.amount > 0)).toBe(true);
          }
          expect(l.amount - l.finalAmount).toBe(l.discount);
        }
        const unitPoints = r.lines
          .flatMap((l) => l.units.flatMap((u) => u.points))
          .reduce((a, p) => a + p.points, 0);
        expect(unitPoints).toBe(r.totalPoints);
        expect(r.redemption.maxAmount).toBeLessThanOrEqual(r.finalAmount);
        expect(r.explanations.map((e) => e.ruleId).sort()).toEqual(rules.map((x) => x.id).sort());
        for (const e of r.explanations) {
          const limits = rules.find((x) => x.id === e.ruleId)!.limits;
          if (e.status !== 'applied' || !limits) continue;
          expect(e.discount).toBeLessThanOrEqual(limits.totalDiscount!);
          expect(e.points).toBeLessThanOrEqual(limits.totalPoints!);
        }
        const rate = { points: 1, cash: 1 };
        const max = evaluateCheck(rules, toCheck(ls), ctx, at, { conversionRate: rate }).redemption.maxPoints;
        const spent = evaluateCheck(rules, toCheck(ls), ctx, at, { conversionRate: rate, spendPoints: max });
        const units = spent.lines.flatMap((l) => l.units);
        expect(units.every((u) => u.paidWithPoints >= 0 && u.paidWithPoints <= u.finalPrice)).toBe(true);
        expect(units.reduce((a, u) => a + u.paidWithPoints, 0)).toBe(spent.redemption.spentAmount);
        expect(units.reduce((a, u) => a + u.pointsSpent, 0)).toBe(max);
        expect(spent.payable).toBe(spent.finalAmount - max);
        expect(spent.totalPoints).toBeLessThanOrEqual(r.totalPoints);
      }),
    );
  });

  it('shuffling rules or lines does not change the result; same input, same output', () => {
    fc.assert(
      fc.property(
        rulesArb,
        linesArb,
        ctxArb,
        fc.integer(),
        fc.integer(),
        (rules, ls, ctx, seedRules, seedLines) => {
          const c = toCheck(ls);
          const base = evaluateCheck(rules, c, ctx, at);
          expect(evaluateCheck(rules, c, ctx, at)).toEqual(base);
          expect(evaluateCheck(shuffle(rules, seedRules), c, ctx, at)).toEqual(base);
          const shuffled = evaluateCheck(rules, { ...c, lines: shuffle(c.lines, seedLines) }, ctx, at);
          expect(canonical(shuffled)).toEqual(canonical(base));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A deterministic Fisher–Yates shuffle driven by a small LCG. */
function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
