import { expect, it } from 'vitest';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

it('a line outside promotions (a gift card sold) gets no discount, earns nothing, counts for no amount and takes no points', () => {
  const rules = [
    rule({ id: 'all10', benefit: { kind: 'percent', bps: 1000 } }),
    rule({ id: 'earn', benefit: { kind: 'earn', bps: 500 } }),
    rule({
      id: 'big',
      benefit: { kind: 'fixedPoints', points: 100 },
      condition: { type: 'checkAmount', min: 5000 },
    }),
  ];
  const r = evaluateCheck(
    rules,
    check([line('A', 1000), line('GIFT-5000', 5000, 1, { excluded: true })]),
    customer({ pointsBalance: 10_000 }),
    at,
  );
  expect(r.lines.map((l) => l.discount)).toEqual([100, 0]);
  expect(r.lines[1]!.units[0]!.points).toEqual([]);
  expect(r.totalPoints).toBe(45);
  expect(r.redemption.eligibleAmount).toBe(900);
  expect(r.explanations.find((e) => e.ruleId === 'big')).toMatchObject({ failed: 'condition.checkAmount' });
});
