import { describe, expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import { reverseReturn, type ClawbackPolicy } from './returns';

// 4 drinks at 100 with 4-for-3, 10 % earning on what is paid, 30 points spent (1 point = 1 kopeck).
const rules = [
  rule({ id: '4for3', target: { categories: [['drinks']] }, benefit: { kind: 'mForN', buy: 4, pay: 3 } }),
  rule({ id: 'earn10', benefit: { kind: 'earn', bps: 1000 } }),
];
const purchase = evaluateCheck(rules, check([line('A', 100, 4, { category: ['drinks'] })]), customer(), at, {
  conversionRate: { points: 1, cash: 1 },
  spendPoints: 30,
});
const options = (policy: ClawbackPolicy, available: number) => ({
  alreadyReturned: new Set<string>(),
  restoreSpentPoints: true,
  policy,
  available,
  pointValue: { points: 1, cash: 1 },
});

describe('reverseReturn', () => {
  it('reverses exactly the stored per-unit portions, without evaluating promotions again', () => {
    const all = reverseReturn(purchase.lines, [{ line: 0, units: [0, 1, 2, 3] }], options('debt', 1_000));
    expect(all.refund + all.spentPointsRestored).toBe(purchase.finalAmount);
    expect(all.discounts).toEqual({ '4for3': 100 });
    expect(all.earnedPoints).toEqual({ earn10: purchase.totalPoints });
    expect(all.spentPointsRestored).toBe(30);
    expect(all).toMatchObject({ debt: 0, writtenOff: 0, deducted: 0, clawback: purchase.totalPoints });
  });

  it('adds up: returning the units one by one gives the same totals as all at once', () => {
    const returned = new Set<string>();
    let refund = 0;
    let earned = 0;
    for (const unit of [3, 1, 0, 2]) {
      const r = reverseReturn(purchase.lines, [{ line: 0, units: [unit] }], {
        ...options('debt', 1_000),
        alreadyReturned: returned,
      });
      returned.add(`0:${unit}`);
      refund += r.refund;
      earned += r.earnedPoints.earn10 ?? 0;
    }
    const all = reverseReturn(purchase.lines, [{ line: 0, units: [0, 1, 2, 3] }], options('debt', 1_000));
    expect(refund).toBe(all.refund);
    expect(earned).toBe(all.earnedPoints.earn10);
  });

  it('refuses a unit returned twice or one the purchase does not have, naming it', () => {
    expect(() =>
      reverseReturn(purchase.lines, [{ line: 0, units: [1] }], {
        ...options('debt', 0),
        alreadyReturned: new Set(['0:1']),
      }),
    ).toThrow(expect.objectContaining({ code: 'already_returned', field: 'returned.0.units.0' }));
    expect(() => reverseReturn(purchase.lines, [{ line: 0, units: [9] }], options('debt', 0))).toThrow(
      expect.objectContaining({ code: 'unknown_unit' }),
    );
    expect(() => reverseReturn(purchase.lines, [{ line: 5, units: [0] }], options('debt', 0))).toThrow(
      expect.objectContaining({ code: 'unknown_line', field: 'returned.0.line' }),
    );
  });

  describe('when the points to take back exceed the balance', () => {
    const earned = purchase.totalPoints;
    const returnAll = (policy: ClawbackPolicy) =>
      reverseReturn(purchase.lines, [{ line: 0, units: [0, 1, 2, 3] }], {
        ...options(policy, 0),
        restoreSpentPoints: false,
      });

    it('debt: everything is taken back, the shortfall becomes debt', () => {
      expect(returnAll('debt')).toMatchObject({ clawback: earned, debt: earned, writtenOff: 0, deducted: 0 });
    });

    it('write-off: only what the balance holds is taken, the rest is forgiven', () => {
      expect(returnAll('write-off')).toMatchObject({ clawback: 0, debt: 0, writtenOff: earned, deducted: 0 });
    });

    it('deduct-from-refund: the missing points are kept back from the money refund', () => {
      const r = returnAll('deduct-from-refund');
      const full = returnAll('debt').refund;
      expect(r).toMatchObject({ clawback: 0, debt: 0, writtenOff: 0, deducted: earned });
      expect(r.refund).toBe(full - earned);
    });

    it('restored spent points count towards the balance before any shortfall', () => {
      const r = reverseReturn(purchase.lines, [{ line: 0, units: [0, 1, 2, 3] }], options('write-off', 0));
      expect(r.writtenOff).toBe(Math.max(0, earned - 30));
    });
  });
});
