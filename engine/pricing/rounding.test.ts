import { expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

it('a ×2 multiplier rounds once: 1 550.00 × 5 % × 2 earns 155 points, not 2 × 77', () => {
  const rules = [
    rule({ id: 'base', benefit: { kind: 'earn', bps: 500 } }),
    rule({ id: 'happy', benefit: { kind: 'multiplier', ruleIds: ['base'], factorBps: 20_000 } }),
  ];
  const r = evaluateCheck(rules, check([line('A', 155_000)]), customer(), at, {
    conversionRate: { points: 1, cash: 100 },
  });
  expect(r.totalPoints).toBe(155);
  expect(r.points.map((p) => [p.ruleId, p.points])).toEqual([
    ['base', 77],
    ['happy', 78],
  ]);
});

it('a percentage over several lines is computed on their total and spread by largest remainder', () => {
  const r = evaluateCheck(
    [rule({ id: 'ten', benefit: { kind: 'percent', bps: 1000 } })],
    check([line('A', 333), line('B', 333), line('C', 334)]),
    customer(),
    at,
  );
  expect(r.discount).toBe(100);
  // 33.3, 33.3, 33.4: the minor unit left goes to the largest remainder.
  expect(r.lines.map((l) => l.discount)).toEqual([33, 33, 34]);
});

it('the quantity condition counts no line kept outside promotions, as the amount condition does not', () => {
  const r = evaluateCheck(
    [
      rule({
        id: 'two',
        benefit: { kind: 'fixedPoints', points: 10 },
        condition: { type: 'line', filter: {}, minQuantity: 2 },
      }),
    ],
    check([line('A', 1000), line('GIFT-5000', 5000, 1, { excluded: true })]),
    customer(),
    at,
  );
  expect(r.explanations[0]).toEqual({ ruleId: 'two', status: 'not_eligible', failed: 'condition.line' });
});

it('a quantity set’s percentage is computed on the item’s units of all sets and spread by largest remainder', () => {
  const r = evaluateCheck(
    [
      rule({
        id: 'half-off-b',
        benefit: {
          kind: 'bundle',
          items: [
            { filter: { skus: ['A'] }, quantity: 1 },
            { filter: { skus: ['B'] }, quantity: 1, bps: 5000 },
          ],
        },
      }),
    ],
    check([line('A', 1000, 3), line('B', 99, 3)]),
    customer(),
    at,
  );
  // Half of 3 × 0.99 is 1.485, rounded once to 1.49, not 3 × round(0.495) = 1.50.
  expect(r.discount).toBe(149);
  expect(r.lines[1]!.units.map((u) => u.finalPrice)).toEqual([49, 49, 50]);
});
