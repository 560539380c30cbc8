import { describe, expect, it } from 'vitest';
import { compileRules } from './compile';
import { daysToAnniversary } from './conditions';
import { evaluateCheck, type EvaluationResult, type Explanation } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';
import type { Rule } from './rules';

const why = (r: EvaluationResult, id: string): Explanation => r.explanations.find((e) => e.ruleId === id)!;

const finals = (r: EvaluationResult) => r.lines.map((l) => l.units.map((u) => u.finalPrice));

describe('seed programs', () => {
  it('retail: 5 % accrual, at most 30 % paid with points, excluded lines', () => {
    const rules = [
      rule({ id: 'accrual', benefit: { kind: 'earn', bps: 500 } }),
      rule({ id: 'cap30', benefit: { kind: 'redeemCap', bps: 3000 } }),
    ];
    const c = check([line('A', 1000, 2), line('TOBACCO', 500, 1, { noRedemption: true })]);
    const r = evaluateCheck(rules, c, customer({ pointsBalance: 10_000 }), at, {
      conversionRate: { points: 1, cash: 1 },
    });
    expect(r.totalPoints).toBe(125);
    expect(r.redemption).toEqual({
      mode: 'discount',
      capRuleId: 'cap30',
      eligibleAmount: 2000,
      maxAmount: 600,
      maxPoints: 600,
      spentPoints: 0,
      spentAmount: 0,
    });
    // With 1 point = 1 rouble (100 kopecks) both earning and redemption convert; the balance bounds it too.
    const roubles = { conversionRate: { points: 1, cash: 100 } };
    const inRoubles = evaluateCheck(rules, c, customer({ pointsBalance: 10_000 }), at, roubles);
    expect(inRoubles.redemption.maxPoints).toBe(6);
    expect(inRoubles.totalPoints).toBe(1);
    expect(evaluateCheck(rules, c, customer({ pointsBalance: 4 }), at, roubles).redemption.maxPoints).toBe(4);
    expect(evaluateCheck(rules, c, customer({ pointsBalance: -5 }), at, roubles).redemption.maxPoints).toBe(
      0,
    );
  });

  describe('HoReCa: Base/Gold/Platinum 5/10/15 %, happy hours ×2 on weekdays, 50 % cap', () => {
    const tier = (id: string, bps: number) =>
      rule({
        id,
        benefit: { kind: 'earn', bps },
        condition: { type: 'tier', tiers: [id] },
        conflict: { group: 'tier-earn', mode: 'max' },
      });
    const rules = compileRules([
      tier('base', 500),
      tier('gold', 1000),
      tier('platinum', 1500),
      rule({
        id: 'happy',
        benefit: { kind: 'multiplier', ruleIds: ['base', 'gold', 'platinum'], factorBps: 20_000 },
        schedule: {
          weekdays: [1, 2, 3, 4, 5],
          windows: [
            { from: '10:00', to: '13:00' },
            { from: '15:00', to: '17:00' },
          ],
        },
      }),
      rule({ id: 'cap50', benefit: { kind: 'redeemCap', bps: 5000 } }),
    ]);
    const run = (t: string, tierId: string) =>
      evaluateCheck(rules, check([line('LATTE', 2500, 4)], t), customer({ tier: tierId }), at);

    it('earns the tier rate, doubled inside the windows', () => {
      const r = run('2026-11-23T12:00', 'gold');
      expect(r.points).toEqual([
        { ruleId: 'gold', eligibleAmount: 10_000, points: 1000 },
        { ruleId: 'happy', eligibleAmount: 10_000, points: 1000 },
      ]);
      expect(why(r, 'base')).toEqual({ ruleId: 'base', status: 'not_eligible', failed: 'condition.tier' });
      expect(r.redemption.maxAmount).toBe(5000);
      expect(run('2026-11-23T16:59', 'base').totalPoints).toBe(1000);
      expect(r.points.find((p) => p.ruleId === 'happy')?.points).toBe(1000);
      expect(run('2026-11-23T10:00', 'platinum').totalPoints).toBe(3000);
    });

    it('does not double outside the windows or at the weekend', () => {
      const late = run('2026-11-23T13:00', 'gold');
      expect(late.totalPoints).toBe(1000);
      expect(why(late, 'happy')).toMatchObject({ status: 'not_eligible', failed: 'schedule.time' });
      const saturday = run('2026-11-28T12:00', 'gold');
      expect(saturday.totalPoints).toBe(1000);
      expect(why(saturday, 'happy')).toMatchObject({ failed: 'schedule.weekday' });
    });

    it('a customer without a tier earns nothing and the multiplier has no base', () => {
      const r = run('2026-11-23T12:00', 'none');
      expect(r.totalPoints).toBe(0);
      expect(why(r, 'happy')).toMatchObject({ failed: 'benefit.base_not_applied' });
    });
  });

  it('4 for 3: in each group of four target units, dearest first, the cheapest is free', () => {
    const rules = [
      rule({ id: '4for3', target: { categories: [['drinks']] }, benefit: { kind: 'mForN', buy: 4, pay: 3 } }),
    ];
    const drinks = { category: ['drinks', 'juice'] };
    const c = check([
      line('A', 100, 3, drinks),
      line('B', 80, 2, drinks),
      line('C', 50, 3, drinks),
      line('BREAD', 10, 5),
    ]);
    const r = evaluateCheck(rules, c, customer(), at);
    expect(r.discount).toBe(130);
    expect(finals(r)).toEqual([
      [100, 100, 100],
      [0, 80],
      [50, 50, 0],
      [10, 10, 10, 10, 10],
    ]);
    expect(r.lines[1]!.units[0]!.discounts).toEqual([{ ruleId: '4for3', amount: 80 }]);
    expect(evaluateCheck(rules, check([line('A', 100, 3, drinks)]), customer(), at).discount).toBe(0);
  });

  it('fixed promo price per unit and per kg, never raising a price', () => {
    const rules = [
      rule({ id: 'promo', target: { skus: ['A'] }, benefit: { kind: 'fixedPrice', unitPrice: 149 } }),
      rule({ id: 'cheese', target: { skus: ['CHEESE'] }, benefit: { kind: 'fixedPrice', unitPrice: 800 } }),
      rule({ id: 'dear', target: { skus: ['B'] }, benefit: { kind: 'fixedPrice', unitPrice: 500 } }),
    ];
    const c = check([line('A', 199, 3), line('CHEESE', 1000, 1250, { weighted: true }), line('B', 300)]);
    const r = evaluateCheck(rules, c, customer(), at);
    expect(finals(r)).toEqual([[149, 149, 149], [1000], [300]]);
    expect(why(r, 'dear')).toEqual({
      ruleId: 'dear',
      status: 'not_eligible',
      failed: 'benefit.price_not_lower',
    });
  });

  it('×2 in the morning', () => {
    const rules = [
      rule({ id: 'base', benefit: { kind: 'earn', bps: 300 } }),
      rule({
        id: 'morning',
        benefit: { kind: 'multiplier', ruleIds: ['base'], factorBps: 20_000 },
        schedule: { windows: [{ from: '08:00', to: '11:00' }] },
      }),
    ];
    const c = (t: string) => check([line('A', 10_000)], t);
    expect(evaluateCheck(rules, c('2026-11-23T09:30'), customer(), at).totalPoints).toBe(600);
    expect(evaluateCheck(rules, c('2026-11-23T11:00'), customer(), at).totalPoints).toBe(300);
  });

  it('birthday month', () => {
    const rules = [
      rule({ id: 'bday', condition: { type: 'birthdayMonth' }, benefit: { kind: 'percent', bps: 1000 } }),
    ];
    const c = check([line('A', 1000)]);
    expect(evaluateCheck(rules, c, customer({ birthDate: '1990-11-05' }), at).discount).toBe(100);
    const december = evaluateCheck(rules, c, customer({ birthDate: '1990-12-05' }), at);
    expect(december.discount).toBe(0);
    expect(why(december, 'bday')).toMatchObject({ failed: 'condition.birthdayMonth' });
    expect(evaluateCheck(rules, c, customer(), at).discount).toBe(0);
  });

  it('boys over 12 through the children group', () => {
    const rules = [
      rule({
        id: 'boys',
        condition: { type: 'groupItem', group: 'children', where: { gender: 'm' }, minAge: 13 },
        benefit: { kind: 'fixedPoints', points: 50 },
      }),
    ];
    const answers = {
      children: [
        { name: 'Ann', birth_date: '2010-01-01', gender: 'f' },
        { name: 'Bob', birth_date: '2013-11-24', gender: 'm' },
      ],
    };
    const before = evaluateCheck(
      rules,
      check([line('A', 100)], '2026-11-23T10:00'),
      customer({ answers }),
      at,
    );
    expect(why(before, 'boys')).toMatchObject({ failed: 'condition.groupItem' });
    const after = evaluateCheck(
      rules,
      check([line('A', 100)], '2026-11-24T10:00'),
      customer({ answers }),
      at,
    );
    expect(after.totalPoints).toBe(50);
  });
});

describe('discounts', () => {
  it('stacks in application order, each on the price left, never below zero', () => {
    const rules = [
      rule({ id: 'pct', priority: 2, benefit: { kind: 'percent', bps: 1000 } }),
      rule({ id: 'unit', priority: 1, benefit: { kind: 'amountPerUnit', amount: 500 } }),
      rule({ id: 'late', benefit: { kind: 'amountPerLine', amount: 50 } }),
    ];
    const r = evaluateCheck(rules, check([line('A', 1000), line('B', 300, 2)]), customer(), at);
    expect(finals(r)).toEqual([[350], [0, 0]]);
    expect(r.lines[1]!.units[0]!.discounts).toEqual([
      { ruleId: 'pct', amount: 30 },
      { ruleId: 'unit', amount: 270 },
    ]);
    expect(why(r, 'late')).toMatchObject({ status: 'applied', discount: 50 });
  });

  it('spreads an amount per check over lines and units by largest remainder', () => {
    const rules = [rule({ id: 'off', benefit: { kind: 'amountPerCheck', amount: 100 } })];
    const r = evaluateCheck(rules, check([line('A', 100, 2), line('B', 100)]), customer(), at);
    expect(r.lines.map((l) => l.units.map((u) => u.price - u.finalPrice))).toEqual([[34, 33], [33]]);
    const big = evaluateCheck(
      [rule({ id: 'off', benefit: { kind: 'amountPerCheck', amount: 10_000 } })],
      check([line('A', 100)]),
      customer(),
      at,
    );
    expect(big.finalAmount).toBe(0);
  });

  it('a weighted line is one unit', () => {
    const rules = [rule({ id: 'u', benefit: { kind: 'amountPerUnit', amount: 100 } })];
    const r = evaluateCheck(
      rules,
      check([line('APPLES', 15_000, 1_500, { weighted: true })]),
      customer(),
      at,
    );
    expect(r.lines[0]!.amount).toBe(22_500);
    expect(r.discount).toBe(100);
  });

  it('resolves priority and max groups and names the winner', () => {
    const g = (id: string, priority: number, benefit: Rule['benefit'], mode: 'priority' | 'max') =>
      rule({ id, priority, benefit, conflict: { group: mode, mode } });
    const rules = [
      g('p-low', 1, { kind: 'percent', bps: 5000 }, 'priority'),
      g('p-high', 9, { kind: 'percent', bps: 1000 }, 'priority'),
      g('p-none', 99, { kind: 'percent', bps: 1000 }, 'priority'),
      g('m-pct', 5, { kind: 'percent', bps: 1000 }, 'max'),
      g('m-amt', 0, { kind: 'amountPerCheck', amount: 300 }, 'max'),
    ];
    rules[2] = rule({ ...rules[2]!, condition: { type: 'tier', tiers: ['vip'] } });
    const r = evaluateCheck(rules, check([line('A', 2000)]), customer(), at);
    expect(why(r, 'p-low')).toEqual({ ruleId: 'p-low', status: 'beaten_by', by: 'p-high' });
    expect(why(r, 'p-none')).toMatchObject({ status: 'not_eligible', failed: 'condition.tier' });
    expect(why(r, 'm-pct')).toEqual({ ruleId: 'm-pct', status: 'beaten_by', by: 'm-amt' });
    expect(r.discount).toBe(200 + 300);
  });

  it('earns on the discounted amount and spreads points over units', () => {
    const rules = [
      rule({ id: 'pct', benefit: { kind: 'percent', bps: 1000 } }),
      rule({ id: 'earn', benefit: { kind: 'earn', bps: 500 } }),
    ];
    const r = evaluateCheck(rules, check([line('A', 370, 3)]), customer(), at);
    expect(r.finalAmount).toBe(999);
    expect(r.totalPoints).toBe(49);
    expect(r.lines[0]!.units.map((u) => u.points)).toEqual([
      [{ ruleId: 'earn', points: 17 }],
      [{ ruleId: 'earn', points: 16 }],
      [{ ruleId: 'earn', points: 16 }],
    ]);
  });
});

describe('eligibility explanations', () => {
  const pct = { kind: 'percent', bps: 100 } as const;
  const c = check([line('A', 1000, 2, { category: ['dairy', 'milk'], brand: 'acme' })], '2026-11-23T12:00', {
    partnerId: 'P1',
  });
  const cases: [string, Partial<Rule>, string | null][] = [
    ['validity.from', { validity: { from: '2026-11-24T00:00:00+03:00' } }, 'validity.from'],
    ['validity.to', { validity: { to: '2026-11-23T12:00:00+03:00' } }, 'validity.to'],
    ['valid', { validity: { from: '2026-11-01T00:00:00+03:00', to: '2026-12-01T00:00:00+03:00' } }, null],
    ['store', { condition: { type: 'store', storeIds: ['S2'] } }, 'condition.store'],
    ['partner', { condition: { type: 'partner', partnerIds: ['P1'] } }, null],
    ['cardType', { condition: { type: 'cardType', cardTypes: ['gold'] } }, 'condition.cardType'],
    [
      'segment-all',
      { condition: { type: 'segment', segments: ['a', 'b'], match: 'all' } },
      'condition.segment',
    ],
    ['segment-any', { condition: { type: 'segment', segments: ['a', 'z'] } }, null],
    ['amount', { condition: { type: 'checkAmount', min: 2001 } }, 'condition.checkAmount'],
    ['line', { condition: { type: 'line', filter: { categories: [['dairy']] }, minQuantity: 2 } }, null],
    [
      'line-3',
      { condition: { type: 'line', filter: { brands: ['acme'] }, minQuantity: 3 } },
      'condition.line',
    ],
    ['not', { condition: { type: 'not', not: { type: 'store', storeIds: ['S1'] } } }, 'condition.not'],
    [
      'or',
      {
        condition: {
          type: 'or',
          any: [
            { type: 'tier', tiers: ['x'] },
            { type: 'store', storeIds: ['S9'] },
          ],
        },
      },
      'condition.or',
    ],
    [
      'and',
      {
        condition: {
          type: 'and',
          all: [
            { type: 'store', storeIds: ['S1'] },
            { type: 'tier', tiers: ['x'] },
          ],
        },
      },
      'condition.tier',
    ],
    ['band', { target: { minUnitPrice: 1001 } }, 'target.no_lines'],
    ['excluded', { target: { excludeSkus: ['A'] } }, 'target.no_lines'],
  ];
  it.each(cases)('%s', (id, more, failed) => {
    const r = evaluateCheck([rule({ id, benefit: pct, ...more })], c, customer({ segments: ['a'] }), at);
    if (failed === null) expect(why(r, id)).toMatchObject({ status: 'applied' });
    else expect(why(r, id)).toEqual({ ruleId: id, status: 'not_eligible', failed });
  });

  it('explains rules the index skipped unless told not to', () => {
    const rules = compileRules([
      rule({ id: 'other', target: { skus: ['Z'] }, benefit: pct }),
      rule({ id: 'mine', target: { skus: ['A'] }, benefit: pct }),
    ]);
    expect(evaluateCheck(rules, c, customer(), at).explanations).toHaveLength(2);
    expect(evaluateCheck(rules, c, customer(), at, { explainAll: false }).explanations).toEqual([
      { ruleId: 'mine', status: 'applied', discount: 20, points: 0 },
    ]);
  });
});

describe('redemption', () => {
  it('takes the whole check without a cap rule and the lowest of several caps', () => {
    const c = check([line('A', 1000)]);
    const free = evaluateCheck([], c, customer(), at, { conversionRate: { points: 1, cash: 1 } });
    expect(free.redemption).toMatchObject({
      capRuleId: null,
      eligibleAmount: 1000,
      maxAmount: 1000,
      maxPoints: 1000,
    });
    const two = evaluateCheck(
      [
        rule({ id: 'c30', benefit: { kind: 'redeemCap', bps: 3000 } }),
        rule({ id: 'c50', benefit: { kind: 'redeemCap', bps: 5000 } }),
      ],
      c,
      customer(),
      at,
    );
    expect(two.redemption).toMatchObject({ capRuleId: 'c30', maxAmount: 300 });
  });
});

describe('customer dates', () => {
  it('5 days before and after each child’s birthday', () => {
    const rules = [
      rule({
        id: 'kid',
        condition: { type: 'groupItem', birthdayWithinDays: 5 },
        benefit: { kind: 'percent', bps: 1000 },
      }),
    ];
    const answers = {
      children: [
        { name: 'A', birth_date: '2015-01-02' },
        { name: 'B', birth_date: '2019-06-20' },
      ],
    };
    const on = (d: string) =>
      evaluateCheck(rules, check([line('A', 1000)], `${d}T10:00`), customer({ answers }), at);
    expect(on('2026-12-28').discount).toBe(100); // 5 days before 2 January, across the year end
    expect(on('2026-12-27').discount).toBe(0);
    expect(on('2026-06-25').discount).toBe(100);
    expect(on('2026-06-26').discount).toBe(0);
  });

  it('anniversary of a questionnaire date, 29 February on 1 March in common years', () => {
    expect(daysToAnniversary('2016-02-29', '2027-03-01')).toBe(0);
    expect(daysToAnniversary('2016-02-29', '2028-02-29')).toBe(0);
    expect(daysToAnniversary('2010-12-31', '2026-01-02')).toBe(2);
    const rules = [
      rule({
        id: 'wedding',
        condition: { type: 'answerDate', key: 'wedding_date', withinDays: 3 },
        benefit: { kind: 'fixedPoints', points: 100 },
      }),
    ];
    const c = check([line('A', 1000)], '2026-11-23T10:00');
    expect(
      evaluateCheck(rules, c, customer({ answers: { wedding_date: '2001-11-20' } }), at).totalPoints,
    ).toBe(100);
    const r = evaluateCheck(rules, c, customer({ answers: { wedding_date: '2001-11-19' } }), at);
    expect(r.explanations[0]).toMatchObject({ failed: 'condition.answerDate' });
  });
});

describe('paying with points', () => {
  const rules = [
    rule({ id: 'accrual', benefit: { kind: 'earn', bps: 500 } }),
    rule({ id: 'cap30', benefit: { kind: 'redeemCap', bps: 3000 } }),
  ];
  const c = check([line('A', 1000, 2), line('TOBACCO', 500, 1, { noRedemption: true })]);
  const rate = { points: 1, cash: 1 };

  it('spreads the points over redeemable units and earns nothing on that part', () => {
    const r = evaluateCheck(rules, c, customer(), at, { conversionRate: rate, spendPoints: 600 });
    expect(r.redemption).toMatchObject({ spentPoints: 600, spentAmount: 600 });
    expect(r.payable).toBe(1900);
    expect(r.lines.map((l) => l.units.map((u) => u.paidWithPoints))).toEqual([[300, 300], [0]]);
    expect(r.lines.map((l) => l.units.map((u) => u.pointsSpent))).toEqual([[300, 300], [0]]);
    const roubles = evaluateCheck(rules, c, customer(), at, {
      spendPoints: 5,
      conversionRate: { points: 1, cash: 100 },
    });
    expect(roubles.lines[0]!.units.map((u) => [u.paidWithPoints, u.pointsSpent])).toEqual([
      [250, 3],
      [250, 2],
    ]);
    expect(r.totalPoints).toBe(95);
    const configured = evaluateCheck(rules, c, customer(), at, {
      conversionRate: rate,
      spendPoints: 600,
      earnOnRedeemed: true,
    });
    expect(configured.totalPoints).toBe(125);
  });

  it('refuses more than the cap allows, and more than the balance as the ledger would', () => {
    expect(() => evaluateCheck(rules, c, customer(), at, { conversionRate: rate, spendPoints: 601 })).toThrow(
      expect.objectContaining({ code: 'redemption_over_cap', field: 'spendPoints' }),
    );
    const poor = customer({ pointsBalance: 100 });
    expect(() => evaluateCheck(rules, c, poor, at, { conversionRate: rate, spendPoints: 101 })).toThrow(
      expect.objectContaining({ code: 'insufficient_points', status: 409, field: 'spendPoints' }),
    );
    expect(() => evaluateCheck(rules, c, customer(), at, { spendPoints: -1 })).toThrow(
      expect.objectContaining({ code: 'invalid_spend' }),
    );
  });
});

describe('check composition', () => {
  it('discount on X if Y is in the check, and on an item of a price band', () => {
    const rules = [
      rule({
        id: 'cross',
        condition: { type: 'line', filter: { skus: ['COFFEE'] } },
        target: { skus: ['CAKE'] },
        benefit: { kind: 'percent', bps: 5000 },
      }),
      rule({
        id: 'band',
        target: { categories: [['wine']], minUnitPrice: 100_000 },
        benefit: { kind: 'amountPerUnit', amount: 10_000 },
      }),
    ];
    const wine = { category: ['wine', 'red'] };
    const withCoffee = check([
      line('CAKE', 300),
      line('COFFEE', 200),
      line('W1', 150_000, 1, wine),
      line('W2', 90_000, 1, wine),
    ]);
    const r = evaluateCheck(rules, withCoffee, customer(), at);
    expect(r.lines.map((l) => l.discount)).toEqual([150, 0, 10_000, 0]);
    const noCoffee = evaluateCheck(rules, check([line('CAKE', 300)]), customer(), at);
    expect(noCoffee.discount).toBe(0);
    expect(noCoffee.explanations.find((e) => e.ruleId === 'cross')).toMatchObject({
      failed: 'condition.line',
    });
  });

  it('earning rules combine by max, sum (stack) or priority', () => {
    const earn = (id: string, bps: number, priority: number, mode: 'max' | 'stack' | 'priority') =>
      rule({ id, priority, benefit: { kind: 'earn', bps }, conflict: { group: mode, mode } });
    const c = check([line('A', 10_000)]);
    const run = (mode: 'max' | 'stack' | 'priority') =>
      evaluateCheck([earn('a', 300, 2, mode), earn('b', 500, 1, mode)], c, customer(), at).totalPoints;
    expect(run('max')).toBe(500);
    expect(run('stack')).toBe(800);
    expect(run('priority')).toBe(300);
  });
});

it('passes each earning rule’s points lifetime through for lotDates', () => {
  const lifetime = { activationDelaySeconds: 86_400, lifetimeSeconds: 31_536_000 };
  const r = evaluateCheck(
    [rule({ id: 'e', benefit: { kind: 'earn', bps: 100 }, pointsLifetime: lifetime })],
    check([line('A', 10_000)]),
    customer(),
    at,
  );
  expect(r.points).toEqual([{ ruleId: 'e', eligibleAmount: 10_000, points: 100, lifetime }]);
});
