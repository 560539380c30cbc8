import { describe, expect, it } from 'vitest';
import { counterKey, type CounterSpec } from './counters';
import { evaluateCheck, type EvaluationResult } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import { requiredCounters } from './history';

const status = (r: EvaluationResult, id: string) => {
  const e = r.explanations.find((x) => x.ruleId === id)!;
  return e.status === 'not_eligible' ? e.failed : e.status;
};
const counters = (...pairs: [CounterSpec, number][]) =>
  Object.fromEntries(pairs.map(([spec, n]) => [counterKey(spec), n]));

describe('purchase-history conditions', () => {
  const rules = [
    rule({ id: 'accrual', benefit: { kind: 'earn', bps: 500 } }),
    rule({ id: 'cap30', benefit: { kind: 'redeemCap', bps: 3000 } }),
    rule({
      id: 'every5th',
      benefit: { kind: 'fixedPoints', points: 500 },
      condition: { type: 'nthPurchase', n: 5, every: true },
    }),
    rule({
      id: 'again14',
      benefit: { kind: 'fixedPoints', points: 100 },
      condition: { type: 'repeatPurchase', withinDays: 14 },
    }),
    rule({
      id: 'big',
      benefit: { kind: 'fixedPoints', points: 1000 },
      condition: { type: 'checkAmount', min: 1_000_000 },
    }),
  ];

  it('retail seed: 5 % accrual, 30 % cap, every 5th purchase, repeat within 14 days, a big purchase', () => {
    const count = { kind: 'purchaseCount' } as const;
    const recent = { kind: 'purchaseCount', period: { lastDays: 14 } } as const;
    expect([...requiredCounters(rules).keys()].sort()).toEqual(
      [counterKey(count), counterKey(recent)].sort(),
    );
    const small = check([line('A', 10_000)]);
    const fourth = evaluateCheck(rules, small, customer({ counters: counters([count, 3]) }), at);
    expect(status(fourth, 'every5th')).toBe('condition.nthPurchase');
    expect(status(fourth, 'again14')).toBe('condition.repeatPurchase');
    const fifth = evaluateCheck(rules, small, customer({ counters: counters([count, 4], [recent, 1]) }), at);
    expect(fifth.points.map((p) => [p.ruleId, p.points])).toEqual([
      ['accrual', 500],
      ['again14', 100],
      ['every5th', 500],
    ]);
    expect(fifth.redemption.maxAmount).toBe(3000);
    const tenth = evaluateCheck(
      rules,
      check([line('TV', 1_200_000)]),
      customer({ counters: counters([count, 9]) }),
      at,
    );
    expect(tenth.points.map((p) => p.ruleId)).toEqual(['accrual', 'big', 'every5th']);
  });

  it('only the n-th purchase without `every`, counted in a calendar month and in some stores', () => {
    const second = rule({
      id: 'second',
      benefit: { kind: 'percent', bps: 1000 },
      condition: { type: 'nthPurchase', n: 2, period: { calendar: 'month' }, storeIds: ['S1'] },
    });
    const spec: CounterSpec = { kind: 'purchaseCount', period: { calendar: 'month' }, storeIds: ['S1'] };
    const run = (n: number) =>
      evaluateCheck([second], check([line('A', 1000)]), customer({ counters: counters([spec, n]) }), at);
    expect(run(0).discount).toBe(0);
    expect(run(1).discount).toBe(100);
    expect(run(2).discount).toBe(0);
  });

  it('accumulated purchases in a period, with or without this check', () => {
    const spec: CounterSpec = { kind: 'purchaseAmount', period: { lastDays: 30 }, storeGroupIds: ['north'] };
    const make = (includeCheck?: boolean) =>
      rule({
        id: 'vip',
        benefit: { kind: 'earn', bps: 1000 },
        condition: {
          type: 'accumulatedAmount',
          min: 50_000,
          period: { lastDays: 30 },
          storeGroupIds: ['north'],
          ...(includeCheck === undefined ? {} : { includeCheck }),
        },
      });
    const ctx = customer({ counters: counters([spec, 45_000]) });
    expect(evaluateCheck([make()], check([line('A', 5000)]), ctx, at).totalPoints).toBe(500);
    expect(status(evaluateCheck([make(false)], check([line('A', 5000)]), ctx, at), 'vip')).toBe(
      'condition.accumulatedAmount',
    );
  });

  it('previous purchases of given goods within a period', () => {
    const filter = { categories: [['coffee', 'beans']] };
    const loyal = rule({
      id: 'loyal',
      benefit: { kind: 'percent', bps: 1500 },
      target: { categories: [['coffee']] },
      condition: { type: 'previousPurchase', filter, withinDays: 90, minQuantity: 3 },
    });
    const spec: CounterSpec = { kind: 'goodsQuantity', filter, period: { lastDays: 90 } };
    expect([...requiredCounters([loyal]).values()]).toEqual([spec]);
    const c = check([line('BEANS', 1000, 1, { category: ['coffee', 'beans'] })]);
    expect(evaluateCheck([loyal], c, customer({ counters: counters([spec, 2]) }), at).discount).toBe(0);
    expect(evaluateCheck([loyal], c, customer({ counters: counters([spec, 3]) }), at).discount).toBe(150);
  });

  it('store groups the caller supplies with the check', () => {
    const north = rule({
      id: 'north',
      benefit: { kind: 'percent', bps: 500 },
      condition: { type: 'storeGroup', groupIds: ['north'] },
    });
    expect(evaluateCheck([north], check([line('A', 1000)]), customer(), at).discount).toBe(0);
    expect(
      evaluateCheck(
        [north],
        check([line('A', 1000)], undefined, { storeGroupIds: ['north'] }),
        customer(),
        at,
      ).discount,
    ).toBe(50);
  });
});

describe('relative validity', () => {
  const welcome = rule({
    id: 'welcome',
    benefit: { kind: 'percent', bps: 2000 },
    validity: { relative: { from: 'firstUse', days: 30 } },
  });
  const c = check([line('A', 1000)]);

  it('runs for N days from the customer’s first purchase under the promotion', () => {
    expect(evaluateCheck([welcome], c, customer({ customerId: 'c1' }), at).discount).toBe(200);
    const used = (firstUsedAt: string) =>
      customer({ customerId: 'c1', customerUsage: { welcome: { uses: 1, firstUsedAt } } });
    expect(evaluateCheck([welcome], c, used('2026-11-01T10:00:00Z'), at).discount).toBe(200);
    expect(status(evaluateCheck([welcome], c, used('2026-10-20T10:00:00Z'), at), 'welcome')).toBe(
      'validity.relative',
    );
    // Anonymous checks cannot start a personal period.
    expect(status(evaluateCheck([welcome], c, customer(), at), 'welcome')).toBe('validity.relative');
  });

  it('runs for N days from reaching an accumulated amount, starting with the check that reaches it', () => {
    const club = rule({
      id: 'club',
      benefit: { kind: 'earn', bps: 1000 },
      validity: {
        relative: { from: 'amountReached', amount: 100_000, days: 60, period: { calendar: 'year' } },
      },
    });
    const [reached, sum] = [...requiredCounters([club]).values()] as [CounterSpec, CounterSpec];
    expect(reached).toEqual({ kind: 'amountReachedAt', amount: 100_000, period: { calendar: 'year' } });
    const run = (cs: Record<string, number>) => evaluateCheck([club], c, customer({ counters: cs }), at);
    expect(status(run(counters([sum, 98_000])), 'club')).toBe('validity.relative');
    expect(run(counters([sum, 99_000])).totalPoints).toBe(100);
    const since = (iso: string) => counters([reached, Date.parse(iso) / 1000], [sum, 150_000]);
    expect(run(since('2026-10-01T00:00:00Z')).totalPoints).toBe(100);
    expect(status(run(since('2026-09-01T00:00:00Z')), 'club')).toBe('validity.relative');
  });
});
