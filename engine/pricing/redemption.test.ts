import { describe, expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

describe('redemption modes and points lifetimes', () => {
  const rules = [
    rule({ id: 'earn', benefit: { kind: 'earn', bps: 1000 }, pointsLifetime: { lifetimeSeconds: 86_400 } }),
    rule({ id: 'fixed', benefit: { kind: 'fixedPoints', points: 5 } }),
    rule({ id: 'cap50', benefit: { kind: 'redeemCap', bps: 5000 } }),
  ];
  const c = check([line('A', 1000), line('B', 500)]);
  const options = { conversionRate: { points: 1, cash: 1 }, spendPoints: 300 };

  it('discount mode lowers the fiscal prices by the points paid, spread by largest remainder', () => {
    const r = evaluateCheck(rules, c, customer(), at, options);
    expect(r.redemption).toMatchObject({ mode: 'discount', maxAmount: 750, spentAmount: 300 });
    expect(r.lines.map((l) => [l.finalAmount, l.paidWithPoints, l.fiscalAmount])).toEqual([
      [1000, 200, 800],
      [500, 100, 400],
    ]);
    expect(r.payable).toBe(1200);
  });

  it('tender mode keeps the fiscal prices and pays with a points tender line; earning is the same', () => {
    const discount = evaluateCheck(rules, c, customer(), at, options);
    const tender = evaluateCheck(rules, c, customer(), at, { ...options, redemptionMode: 'tender' });
    expect(tender.redemption.mode).toBe('tender');
    expect(tender.lines.map((l) => l.fiscalAmount)).toEqual([1000, 500]);
    expect(tender.lines.map((l) => l.paidWithPoints)).toEqual([200, 100]);
    expect(tender.payable).toBe(1200);
    expect(tender.totalPoints).toBe(discount.totalPoints);
    expect(tender.totalPoints).toBe(120 + 5);
  });

  it('takes each earning rule’s lifetime from the rule, else the card type, else the program', () => {
    const r = evaluateCheck(rules, c, customer(), at, {
      pointsLifetime: {
        cardType: { activationDelaySeconds: 3600 },
        program: { activationDelaySeconds: 0, lifetimeSeconds: 31_536_000 },
      },
    });
    expect(r.points.map((p) => [p.ruleId, p.lifetime])).toEqual([
      ['earn', { activationDelaySeconds: 3600, lifetimeSeconds: 86_400 }],
      ['fixed', { activationDelaySeconds: 3600, lifetimeSeconds: 31_536_000 }],
    ]);
  });

  it('takes only the points the paid money needs', () => {
    const r = evaluateCheck(rules, c, customer(), at, {
      conversionRate: { points: 10, cash: 1 },
      spendPoints: 19,
    });
    expect(r.redemption).toMatchObject({ spentAmount: 1, spentPoints: 10 });
    expect(r.lines.flatMap((l) => l.units).reduce((sum, u) => sum + u.pointsSpent, 0)).toBe(10);
  });

  it('an anonymous check earns nothing: earning rules say why', () => {
    const r = evaluateCheck(rules, c, customer(), at, { earning: false });
    expect(r.totalPoints).toBe(0);
    expect(r.explanations.find((e) => e.ruleId === 'earn')).toEqual({
      ruleId: 'earn',
      status: 'not_eligible',
      failed: 'customer.anonymous',
    });
  });
});
