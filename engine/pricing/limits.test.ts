import { describe, expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

const c = check([line('A', 1000, 2), line('B', 500)]);
const why = (r: ReturnType<typeof evaluateCheck>, id: string) => r.explanations.find((e) => e.ruleId === id);

describe('budgets and usage limits', () => {
  it('explains an exhausted use limit, overall and per customer', () => {
    const promo = rule({
      id: 'p',
      benefit: { kind: 'percent', bps: 1000 },
      limits: { totalUses: 100, customerUses: 2 },
    });
    const ok = evaluateCheck([promo], c, customer({ customerId: 'c1', usage: { p: { uses: 99 } } }), at);
    expect(why(ok, 'p')).toEqual({ ruleId: 'p', status: 'applied', discount: 250, points: 0 });
    const total = evaluateCheck([promo], c, customer({ customerId: 'c1', usage: { p: { uses: 100 } } }), at);
    expect(why(total, 'p')).toEqual({ ruleId: 'p', status: 'budget_exhausted', limit: 'totalUses' });
    const mine = evaluateCheck(
      [promo],
      c,
      customer({ customerId: 'c1', customerUsage: { p: { uses: 2 } } }),
      at,
    );
    expect(why(mine, 'p')).toEqual({ ruleId: 'p', status: 'budget_exhausted', limit: 'customerUses' });
    expect(mine.discount).toBe(0);
  });

  it('cuts a discount to what is left of the budget, spread over the units', () => {
    const promo = rule({
      id: 'p',
      benefit: { kind: 'percent', bps: 5000 },
      limits: { totalDiscount: 10_000 },
    });
    const r = evaluateCheck([promo], c, customer({ usage: { p: { discount: 9_700 } } }), at);
    expect(r.discount).toBe(300);
    expect(why(r, 'p')).toEqual({
      ruleId: 'p',
      status: 'applied',
      discount: 300,
      points: 0,
      limitedBy: 'totalDiscount',
    });
    expect(r.lines.flatMap((l) => l.units.map((u) => u.price - u.finalPrice))).toEqual([120, 120, 60]);
  });

  it('cuts points to the points budget, the tighter of overall and per customer', () => {
    const promo = rule({
      id: 'e',
      benefit: { kind: 'earn', bps: 1000 },
      limits: { totalPoints: 1_000_000, customerPoints: 500 },
    });
    const r = evaluateCheck(
      [promo],
      c,
      customer({ customerId: 'c1', customerUsage: { e: { points: 450 } } }),
      at,
    );
    expect(r.totalPoints).toBe(50);
    expect(why(r, 'e')).toMatchObject({ status: 'applied', points: 50, limitedBy: 'customerPoints' });
  });

  it('keeps per-customer limits away from anonymous checks', () => {
    const promo = rule({ id: 'p', benefit: { kind: 'percent', bps: 1000 }, limits: { customerUses: 1 } });
    expect(why(evaluateCheck([promo], c, customer(), at), 'p')).toEqual({
      ruleId: 'p',
      status: 'not_eligible',
      failed: 'customer.anonymous',
    });
  });
});
