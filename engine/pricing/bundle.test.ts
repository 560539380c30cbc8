import { describe, expect, it } from 'vitest';
import { ruleSchema } from './rules';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

const off = (r: ReturnType<typeof evaluateCheck>) =>
  r.lines.map((l) => l.units.map((u) => u.price - u.finalPrice));

describe('quantity sets', () => {
  it('"2 of A with 1 of B": B at half price in each complete set, dearest units first', () => {
    const set = rule({
      id: 'set',
      benefit: {
        kind: 'bundle',
        items: [
          { filter: { categories: [['pasta']] }, quantity: 2 },
          { filter: { skus: ['SAUCE'] }, quantity: 1, bps: 5000 },
        ],
      },
    });
    const r = evaluateCheck(
      [set],
      check([
        line('P1', 300, 3, { category: ['pasta'] }),
        line('P2', 200, 2, { category: ['pasta'] }),
        line('SAUCE', 400, 3),
      ]),
      customer(),
      at,
    );
    // Five pasta units make two sets (P1,P1 and P1,P2); two of three sauces are half price.
    expect(off(r)).toEqual([
      [0, 0, 0],
      [0, 0],
      [200, 200, 0],
    ]);
  });

  it('a set price for the whole set, spread over its units, never raising a price', () => {
    const lunch = rule({
      id: 'lunch',
      benefit: {
        kind: 'bundle',
        items: [
          { filter: { categories: [['soup']] }, quantity: 1 },
          { filter: { categories: [['main']] }, quantity: 1 },
          { filter: { categories: [['drink']] }, quantity: 1 },
        ],
        setPrice: 450,
        maxSets: 1,
      },
    });
    const r = evaluateCheck(
      [lunch],
      check([
        line('SOUP', 200, 2, { category: ['soup'] }),
        line('STEAK', 400, 1, { category: ['main'] }),
        line('TEA', 100, 2, { category: ['drink'] }),
      ]),
      customer(),
      at,
    );
    expect(r.discount).toBe(250);
    expect(off(r)).toEqual([[71, 0], [143], [36, 0]]);
    const cheap = evaluateCheck(
      [lunch],
      check([
        line('SOUP', 100, 1, { category: ['soup'] }),
        line('STEAK', 200, 1, { category: ['main'] }),
        line('TEA', 100, 1, { category: ['drink'] }),
      ]),
      customer(),
      at,
    );
    expect(cheap.discount).toBe(0);
  });

  it('asks for either a set price or item percentages', () => {
    const r = ruleSchema.safeParse({
      id: 'x',
      name: 'x',
      benefit: { kind: 'bundle', items: [{ filter: {}, quantity: 2 }] },
    });
    expect(r.success).toBe(false);
  });

  it('points per sku: a fixed number per unit', () => {
    const perUnit = rule({
      id: 'pu',
      target: { skus: ['BAR'] },
      benefit: { kind: 'pointsPerUnit', points: 15 },
    });
    const r = evaluateCheck([perUnit], check([line('BAR', 90, 3), line('A', 100)]), customer(), at);
    expect(r.totalPoints).toBe(45);
    expect(r.lines[0]!.units.map((u) => u.points)).toEqual([
      [{ ruleId: 'pu', points: 15 }],
      [{ ruleId: 'pu', points: 15 }],
      [{ ruleId: 'pu', points: 15 }],
    ]);
  });
});
