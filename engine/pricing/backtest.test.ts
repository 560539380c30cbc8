import { describe, expect, it } from 'vitest';
import { backtest, type PastCheck } from './backtest';
import { at, check, customer, line, rule } from './fixtures';

const drinks = { category: ['drinks'] };
const past: PastCheck[] = [
  { customerId: 'c1', check: check([line('A', 100, 4, drinks)]), customer: customer(), at },
  {
    customerId: 'c1',
    check: check([line('A', 100, 2, drinks), line('B', 500, 1)]),
    customer: customer(),
    at,
  },
  { customerId: 'c2', check: check([line('B', 500, 2)]), customer: customer({ tier: 'gold' }), at },
  { customerId: null, check: check([line('A', 100, 8, drinks)]), customer: customer(), at },
];

describe('backtest', () => {
  it('adds up cost and reach of a draft rule set over past checks, per rule', () => {
    const report = backtest(
      [
        rule({
          id: '4for3',
          target: { categories: [['drinks']] },
          benefit: { kind: 'mForN', buy: 4, pay: 3 },
        }),
        rule({
          id: 'gold5',
          condition: { type: 'tier', tiers: ['gold'] },
          benefit: { kind: 'earn', bps: 500 },
        }),
      ],
      past,
    );
    expect(report).toMatchObject({
      checks: 4,
      reachedChecks: 3,
      reachedCustomers: 2,
      discount: 300,
      points: 50,
    });
    expect(report.perRule['4for3']).toEqual({ checks: 2, customers: 1, discount: 300, points: 0 });
    expect(report.perRule.gold5).toEqual({ checks: 1, customers: 1, discount: 0, points: 50 });
    expect(report.finalAmount).toBe(400 + 700 + 1000 + 800 - 300);
  });

  it('reports nothing reached for a rule set that never applies', () => {
    const report = backtest(
      [
        rule({
          id: 'never',
          condition: { type: 'tier', tiers: ['platinum'] },
          benefit: { kind: 'earn', bps: 500 },
        }),
      ],
      past,
    );
    expect(report).toMatchObject({
      checks: 4,
      reachedChecks: 0,
      reachedCustomers: 0,
      discount: 0,
      points: 0,
      perRule: {},
    });
  });
});
