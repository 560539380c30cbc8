import { describe, expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

describe('coupons and receipt messages', () => {
  const couponDiscount = rule({
    id: 'coupon10',
    benefit: { kind: 'percent', bps: 1000 },
    coupon: { issueIds: ['spring'] },
    receiptMessage: { ru: 'Скидка по купону', en: 'Coupon discount' },
  });
  const couponPoints = rule({
    id: 'couponPoints',
    benefit: { kind: 'fixedPoints', points: 200 },
    coupon: { issueIds: ['spring'] },
  });
  const nextVisit = rule({
    id: 'next',
    benefit: { kind: 'issueCoupon', issueId: 'next-visit' },
    condition: { type: 'checkAmount', min: 1000 },
    receiptMessage: { en: 'Your coupon for the next visit is below' },
  });
  const c = check([line('A', 1500)]);

  it('applies a rule only with a presented coupon of its issue, and consumes one coupon per rule', () => {
    const none = evaluateCheck([couponDiscount], c, customer(), at);
    expect(none.explanations[0]).toEqual({
      ruleId: 'coupon10',
      status: 'not_eligible',
      failed: 'coupon.not_presented',
    });
    const two = evaluateCheck(
      [couponDiscount, couponPoints],
      c,
      customer({
        coupons: [
          { code: 'SPRING-B', issueId: 'spring' },
          { code: 'SPRING-A', issueId: 'spring' },
          { code: 'OTHER', issueId: 'autumn' },
        ],
      }),
      at,
    );
    expect(two.discount).toBe(150);
    expect(two.totalPoints).toBe(200);
    expect(two.coupons.consumed).toEqual([
      { code: 'SPRING-A', issueId: 'spring', ruleId: 'coupon10' },
      { code: 'SPRING-B', issueId: 'spring', ruleId: 'couponPoints' },
    ]);
  });

  it('a coupon serves one rule: the second rule needing it is not eligible', () => {
    const r = evaluateCheck(
      [couponDiscount, couponPoints],
      c,
      customer({ coupons: [{ code: 'ONLY', issueId: 'spring' }] }),
      at,
    );
    expect(r.coupons.consumed).toEqual([{ code: 'ONLY', issueId: 'spring', ruleId: 'coupon10' }]);
    expect(r.explanations.find((e) => e.ruleId === 'couponPoints')).toEqual({
      ruleId: 'couponPoints',
      status: 'not_eligible',
      failed: 'coupon.not_presented',
    });
  });

  it('issues coupons to print and prints messages in the customer’s language, else the first', () => {
    const r = evaluateCheck(
      [couponDiscount, nextVisit],
      c,
      customer({ language: 'ru', coupons: [{ code: 'X', issueId: 'spring' }] }),
      at,
    );
    expect(r.coupons.issued).toEqual([{ ruleId: 'next', issueId: 'next-visit', quantity: 1 }]);
    expect(r.messages).toEqual([
      { ruleId: 'coupon10', text: 'Скидка по купону' },
      { ruleId: 'next', text: 'Your coupon for the next visit is below' },
    ]);
    expect(evaluateCheck([nextVisit], check([line('A', 900)]), customer(), at).coupons.issued).toEqual([]);
  });
});
