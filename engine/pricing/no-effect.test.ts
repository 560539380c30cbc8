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

describe('an earning rule that gives nothing wins no conflict group', () => {
  const group = { group: 'points', mode: 'priority' as const };

  it('priority: a coupon another rule of the check took sets the winner aside, the next member earns', () => {
    const r = run([
      coded('coupon-off', { kind: 'amountPerCheck', amount: 100 }),
      coded('coupon-pts', { kind: 'fixedPoints', points: 500 }, { priority: 9, conflict: group }),
      rule({ id: 'base', priority: 1, benefit: { kind: 'earn', bps: 500 }, conflict: group }),
    ]);
    expect(why(r, 'coupon-off')).toMatchObject({ status: 'applied', discount: 100 });
    expect(why(r, 'coupon-pts')).toEqual({
      ruleId: 'coupon-pts',
      status: 'not_eligible',
      failed: 'coupon.not_presented',
    });
    // 5 % of 49.00 left to pay.
    expect(why(r, 'base')).toEqual({ ruleId: 'base', status: 'applied', discount: 0, points: 245 });
    expect(r.coupons.consumed).toEqual([{ ...coupon, ruleId: 'coupon-off' }]);
    expect(r.totalPoints).toBe(245);
  });

  it('priority per line: a winner whose points come to 0 on its lines is set aside, the next member earns', () => {
    const perLine = { ...group, scope: 'line' as const };
    const r = run(
      [
        rule({ id: 'tiny', priority: 9, benefit: { kind: 'earn', bps: 1 }, conflict: perLine }),
        rule({ id: 'base', priority: 1, benefit: { kind: 'earn', bps: 500 }, conflict: perLine }),
      ],
      [line('A', 3000), line('B', 2000)],
    );
    expect(why(r, 'tiny')).toEqual({ ruleId: 'tiny', status: 'not_eligible', failed: 'benefit.no_points' });
    expect(why(r, 'base')).toEqual({ ruleId: 'base', status: 'applied', discount: 0, points: 250 });
    expect(r.totalPoints).toBe(250);
  });

  it('max: a winner without its coupon is set aside and the next best earns', () => {
    const best = { group: 'best-points', mode: 'max' as const };
    const r = run([
      coded('coupon-off', { kind: 'amountPerCheck', amount: 100 }),
      coded('coupon-pts', { kind: 'fixedPoints', points: 500 }, { conflict: best }),
      rule({ id: 'base', benefit: { kind: 'earn', bps: 500 }, conflict: best }),
    ]);
    expect(why(r, 'coupon-pts')).toEqual({
      ruleId: 'coupon-pts',
      status: 'not_eligible',
      failed: 'coupon.not_presented',
    });
    expect(why(r, 'base')).toEqual({ ruleId: 'base', status: 'applied', discount: 0, points: 245 });
  });
});

describe('a winner whose coupon another rule took wins no group in the later phases either', () => {
  const group = { group: 'g', mode: 'priority' as const };
  const takesTheCoupon = coded('coupon-off', { kind: 'amountPerCheck', amount: 100 });

  it('redemption caps: the next cap of the group bounds the points', () => {
    const r = run([
      takesTheCoupon,
      coded('cap-90', { kind: 'redeemCap', bps: 9000 }, { priority: 9, conflict: group }),
      rule({ id: 'cap-50', priority: 1, benefit: { kind: 'redeemCap', bps: 5000 }, conflict: group }),
    ]);
    expect(why(r, 'cap-90')).toMatchObject({ status: 'not_eligible', failed: 'coupon.not_presented' });
    expect(why(r, 'cap-50')).toMatchObject({ status: 'applied' });
    expect(r.redemption).toMatchObject({ capRuleId: 'cap-50', maxAmount: 2450 });
  });

  it('multipliers: the next multiplier of the group gives its extra', () => {
    const r = run([
      takesTheCoupon,
      rule({ id: 'base', benefit: { kind: 'earn', bps: 1000 } }),
      coded(
        'x3',
        { kind: 'multiplier', ruleIds: ['base'], factorBps: 30_000 },
        { priority: 9, conflict: group },
      ),
      rule({
        id: 'x2',
        priority: 1,
        benefit: { kind: 'multiplier', ruleIds: ['base'], factorBps: 20_000 },
        conflict: group,
      }),
    ]);
    expect(why(r, 'x3')).toMatchObject({ status: 'not_eligible', failed: 'coupon.not_presented' });
    expect(why(r, 'x2')).toEqual({ ruleId: 'x2', status: 'applied', discount: 0, points: 490 });
  });

  it('rewards: the next reward of the group issues its coupon', () => {
    const r = run([
      takesTheCoupon,
      coded('gift', { kind: 'issueCoupon', issueId: 'gift', quantity: 1 }, { priority: 9, conflict: group }),
      rule({
        id: 'next',
        priority: 1,
        benefit: { kind: 'issueCoupon', issueId: 'next', quantity: 1 },
        conflict: group,
      }),
    ]);
    expect(why(r, 'gift')).toMatchObject({ status: 'not_eligible', failed: 'coupon.not_presented' });
    expect(r.coupons.issued).toEqual([{ ruleId: 'next', issueId: 'next', quantity: 1 }]);
  });
});
