import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discountEffect, discountValue, effectTotal } from './discount-effects';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import { ruleSchema, type Benefit } from './rules';
import { unitPrices } from './check';

describe('conflict groups scoped to a line: the best discount per item', () => {
  const best = (id: string, benefit: Benefit, skus?: string[]) =>
    rule({
      id,
      benefit,
      conflict: { group: 'item', mode: 'max', scope: 'line' },
      ...(skus ? { target: { skus } } : {}),
    });

  it('each line gets the largest discount of the group; a rule applies where it wins', () => {
    const rules = [
      best('all10', { kind: 'percent', bps: 1000 }),
      best('milk50', { kind: 'amountPerUnit', amount: 50 }, ['MILK']),
      best('bread', { kind: 'fixedPrice', unitPrice: 10 }, ['BREAD', 'MILK']),
    ];
    const r = evaluateCheck(
      rules,
      check([line('MILK', 100, 2), line('BREAD', 40), line('TEA', 300)]),
      customer(),
      at,
    );
    expect(r.lines.map((l) => l.discount)).toEqual([180, 30, 30]);
    expect(r.explanations).toEqual([
      { ruleId: 'all10', status: 'applied', discount: 30, points: 0 },
      { ruleId: 'bread', status: 'applied', discount: 210, points: 0 },
      { ruleId: 'milk50', status: 'beaten_by', by: 'bread' },
    ]);
  });

  it('by priority, the highest-priority member targeting the line', () => {
    const rules = [
      rule({
        id: 'low',
        priority: 1,
        benefit: { kind: 'percent', bps: 5000 },
        conflict: { group: 'p', mode: 'priority', scope: 'line' },
      }),
      rule({
        id: 'high',
        priority: 9,
        target: { skus: ['A'] },
        benefit: { kind: 'percent', bps: 1000 },
        conflict: { group: 'p', mode: 'priority', scope: 'line' },
      }),
    ];
    const r = evaluateCheck(rules, check([line('A', 1000), line('B', 1000)]), customer(), at);
    expect(r.lines.map((l) => l.discount)).toEqual([100, 500]);
  });

  it('earning rules too: the best points offer per item', () => {
    const offer = (id: string, bps: number, skus?: string[]) =>
      rule({
        id,
        benefit: { kind: 'earn', bps },
        conflict: { group: 'points', mode: 'max', scope: 'line' },
        ...(skus ? { target: { skus } } : {}),
      });
    const r = evaluateCheck(
      [offer('base', 500), offer('coffee', 2000, ['COFFEE']), offer('tea', 300, ['TEA'])],
      check([line('COFFEE', 1000), line('TEA', 1000), line('MILK', 1000)]),
      customer(),
      at,
    );
    expect(r.points.map((p) => [p.ruleId, p.points])).toEqual([
      ['base', 100],
      ['coffee', 200],
    ]);
    expect(r.explanations.find((e) => e.ruleId === 'tea')).toEqual({
      ruleId: 'tea',
      status: 'beaten_by',
      by: 'base',
    });
  });

  it('refuses benefits that depend on other lines and a group mixing scopes', () => {
    const parsed = ruleSchema.safeParse({
      id: 'x',
      name: 'x',
      benefit: { kind: 'mForN', buy: 3, pay: 2 },
      conflict: { group: 'g', mode: 'max', scope: 'line' },
    });
    expect(parsed.success).toBe(false);
    expect(() =>
      evaluateCheck(
        [
          rule({
            id: 'a',
            benefit: { kind: 'percent', bps: 1 },
            conflict: { group: 'g', mode: 'max', scope: 'line' },
          }),
          rule({ id: 'b', benefit: { kind: 'percent', bps: 1 }, conflict: { group: 'g', mode: 'max' } }),
        ],
        check([line('A', 1)]),
        customer(),
        at,
      ),
    ).toThrow(/scopes/);
  });
});

describe('discountValue', () => {
  it('equals the total of the per-unit effect on the prices before discounts', () => {
    const benefit = fc.oneof(
      fc.record({ kind: fc.constant('percent' as const), bps: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({
        kind: fc.constant('amountPerCheck' as const),
        amount: fc.integer({ min: 0, max: 20_000 }),
      }),
      fc.record({ kind: fc.constant('amountPerLine' as const), amount: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('amountPerUnit' as const), amount: fc.integer({ min: 0, max: 2000 }) }),
      fc.record({ kind: fc.constant('fixedPrice' as const), unitPrice: fc.integer({ min: 0, max: 3000 }) }),
      fc
        .record({ buy: fc.integer({ min: 2, max: 5 }), free: fc.integer({ min: 1, max: 2 }) })
        .map(({ buy, free }) => ({ kind: 'mForN' as const, buy, pay: Math.max(0, buy - free) })),
    );
    const lines = fc.array(
      fc.record({
        price: fc.integer({ min: 0, max: 5000 }),
        qty: fc.integer({ min: 1, max: 5 }),
        weighted: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(benefit, lines, (b, ls) => {
        const c = check(
          ls.map((l, i) =>
            line(`S${i}`, l.price, l.weighted ? l.qty * 300 : l.qty, { weighted: l.weighted }),
          ),
        );
        const orig = c.lines.map(unitPrices);
        const target = c.lines.map((_, l) => l);
        expect(discountValue(b, target, c.lines, orig)).toBe(
          effectTotal(discountEffect(b, target, c.lines, orig)),
        );
      }),
    );
  });
});
