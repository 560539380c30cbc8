import { describe, expect, it } from 'vitest';
import { evaluateCheck, type EvaluationResult, type Explanation } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import type { Rule } from './rules';

const why = (r: EvaluationResult, id: string): Explanation => r.explanations.find((e) => e.ruleId === id)!;

const coupon = { code: 'C-1', issueId: 'promo' };
const coded = (id: string, benefit: Rule['benefit'], more: Partial<Rule> = {}) =>
  rule({ id, benefit, coupon: { issueIds: ['promo'] }, ...more });
const run = (rules: Rule[], lines = [line('A', 5000)]) =>
  evaluateCheck(rules, check(lines), customer({ coupons: [coupon] }), at);

describe('a rule that gives nothing does not apply and consumes nothing', () => {
  it('nothing left to discount: an earlier rule took the whole price', () => {
    const r = run([
      rule({ id: 'free', priority: 10, benefit: { kind: 'amountPerLine', amount: 5000 } }),
      coded('pct', { kind: 'percent', bps: 1000 }),
    ]);
    expect(why(r, 'free')).toMatchObject({ status: 'applied', discount: 5000 });
    expect(why(r, 'pct')).toEqual({
      ruleId: 'pct',
      status: 'not_eligible',
      failed: 'benefit.nothing_to_discount',
    });
    expect(r.coupons.consumed).toEqual([]);
  });

  it('a quantity set or M-for-N with too few units', () => {
    const r = run([
      coded('set', {
        kind: 'bundle',
        items: [
          { filter: { skus: ['A'] }, quantity: 1 },
          { filter: { skus: ['B'] }, quantity: 1, bps: 5000 },
        ],
      }),
      coded('3for2', { kind: 'mForN', buy: 3, pay: 2 }),
    ]);
    expect(why(r, 'set')).toEqual({
      ruleId: 'set',
      status: 'not_eligible',
      failed: 'benefit.incomplete_set',
    });
    expect(why(r, '3for2')).toEqual({
      ruleId: '3for2',
      status: 'not_eligible',
      failed: 'benefit.incomplete_set',
    });
    expect(r.coupons.consumed).toEqual([]);
    expect(r.discount).toBe(0);
  });

  it('a promo price above the shelf price', () => {
    const r = run([coded('promo', { kind: 'fixedPrice', unitPrice: 6000 })]);
    expect(why(r, 'promo')).toEqual({
      ruleId: 'promo',
      status: 'not_eligible',
      failed: 'benefit.price_not_lower',
    });
    expect(r.coupons.consumed).toEqual([]);
  });

  it('wins no priority conflict: the next rule of the group that gives something applies', () => {
    const group = { group: 'coupon-deals', mode: 'priority' as const };
    const r = run([
      coded('promo-price', { kind: 'fixedPrice', unitPrice: 6000 }, { priority: 9, conflict: group }),
      coded('pct', { kind: 'percent', bps: 1000 }, { priority: 1, conflict: group }),
      rule({ id: 'low', priority: 0, benefit: { kind: 'amountPerLine', amount: 100 }, conflict: group }),
    ]);
    expect(why(r, 'promo-price')).toMatchObject({
      status: 'not_eligible',
      failed: 'benefit.price_not_lower',
    });
    expect(why(r, 'pct')).toEqual({ ruleId: 'pct', status: 'applied', discount: 500, points: 0 });
    expect(why(r, 'low')).toEqual({ ruleId: 'low', status: 'beaten_by', by: 'pct' });
    expect(r.coupons.consumed).toEqual([{ ...coupon, ruleId: 'pct' }]);
    expect(r.discount).toBe(500);
  });

  it('wins no max conflict: a group whose members all give nothing has no winner', () => {
    const group = { group: 'best', mode: 'max' as const };
    const r = run([
      coded('promo-price', { kind: 'fixedPrice', unitPrice: 6000 }, { conflict: group }),
      coded('3for2', { kind: 'mForN', buy: 3, pay: 2 }, { conflict: group }),
    ]);
    expect(r.explanations.map((e) => e.status)).toEqual(['not_eligible', 'not_eligible']);
    expect(r.coupons.consumed).toEqual([]);
  });

  it('a coded points rule that earns nothing does not take its coupon', () => {
    const r = run([coded('pts', { kind: 'earn', bps: 1 })], [line('A', 50)]);
    expect(why(r, 'pts')).toEqual({ ruleId: 'pts', status: 'not_eligible', failed: 'benefit.no_points' });
    expect(r.coupons.consumed).toEqual([]);
  });
});
