import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  availableAt,
  planAccrual,
  planClawback,
  planExpiry,
  planMove,
  planSpend,
  receivedLots,
  type Lot,
} from './lots';
import { lotDates } from './lot-policy';

const t = (iso: string) => new Date(iso);
const now = t('2026-06-01T12:00:00Z');
const lot = (id: number, remaining: number, activatesAt: string, expiresAt: string | null): Lot => ({
  id,
  remaining,
  activatesAt: t(activatesAt),
  expiresAt: expiresAt ? t(expiresAt) : null,
  createdAt: t('2025-12-01T00:00:00Z'),
  activatedAt: null,
});

const lots = [
  lot(1, 100, '2026-01-01T00:00:00Z', null),
  lot(2, 50, '2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'),
  lot(3, 30, '2026-01-01T00:00:00Z', '2026-06-15T00:00:00Z'),
  lot(4, 40, '2026-06-10T00:00:00Z', '2026-12-31T00:00:00Z'),
  lot(5, 20, '2026-01-01T00:00:00Z', '2026-05-31T00:00:00Z'),
];

describe('availableAt', () => {
  it('excludes not-yet-active and expired lots before any job runs', () => {
    expect(availableAt(lots, 0, now)).toBe(180);
    expect(availableAt(lots, 0, t('2026-06-15T00:00:00Z'))).toBe(190);
  });

  it('subtracts debt and is never negative', () => {
    expect(availableAt(lots, 100, now)).toBe(80);
    expect(availableAt(lots, 500, now)).toBe(0);
  });
});

describe('planSpend', () => {
  it('draws soonest expiry first, never-expiring last', () => {
    expect(planSpend(lots, 0, 100, now)).toEqual([
      { lotId: 3, amount: 30 },
      { lotId: 2, amount: 50 },
      { lotId: 1, amount: 20 },
    ]);
  });

  it('never overdraws, counting debt', () => {
    expect(() => planSpend(lots, 0, 181, now)).toThrow(/only 180 available/);
    expect(() => planSpend(lots, 100, 81, now)).toThrow(/only 80 available/);
  });

  it('rejects non-positive or fractional amounts naming the field', () => {
    expect(() => planSpend(lots, 0, 0, now)).toThrow(expect.objectContaining({ field: 'amount' }));
    expect(() => planSpend(lots, 0, 1.5, now)).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });
});

describe('planClawback', () => {
  it('takes spendable lots first, then pending, never expired ones; the rest per policy', () => {
    expect(planClawback(lots, 300, now, 'debt')).toEqual({
      draws: [
        { lotId: 3, amount: 30 },
        { lotId: 2, amount: 50 },
        { lotId: 1, amount: 100 },
        { lotId: 4, amount: 40 },
      ],
      newDebt: 80,
      writtenOff: 0,
    });
    expect(planClawback(lots, 300, now, 'write-off')).toMatchObject({ newDebt: 0, writtenOff: 80 });
    expect(() => planClawback(lots, 300, now, 'fail')).toThrow(/only 220/);
  });
});

describe('planAccrual and planExpiry', () => {
  it('repays debt before creating a lot', () => {
    expect(planAccrual(100, 30)).toEqual({ repaid: 30, lotAmount: 70 });
    expect(planAccrual(20, 30)).toEqual({ repaid: 20, lotAmount: 0 });
  });

  it('burns exactly the expired remainders', () => {
    expect(planExpiry(lots, t('2026-06-15T00:00:00Z'))).toEqual([
      { lotId: 5, amount: 20 },
      { lotId: 3, amount: 30 },
    ]);
  });
});

describe('planMove and receivedLots', () => {
  it('refuses a move dated before an open lot was created, naming occurredAt and the earliest time', () => {
    const later = { ...lot(6, 10, '2026-06-01T12:10:00Z', null), createdAt: t('2026-06-01T12:10:00Z') };
    expect(() => planMove([...lots, later], now)).toThrow(
      expect.objectContaining({
        code: 'operations_after',
        status: 409,
        field: 'occurredAt',
        message: expect.stringContaining('at or after 2026-06-01T12:10:00.000Z'),
      }),
    );
    expect(planMove([...lots, later], t('2026-06-01T12:10:00Z'))).toContainEqual({ lotId: 6, amount: 10 });
  });

  it('moves every open lot not expired, whole and in spend order, with its dates', () => {
    const draws = planMove(lots, now);
    expect(draws).toEqual([
      { lotId: 3, amount: 30 },
      { lotId: 2, amount: 50 },
      { lotId: 4, amount: 40 },
      { lotId: 1, amount: 100 },
    ]);
    expect(receivedLots(lots, draws.slice(0, 2))).toEqual([
      {
        amount: 30,
        activatesAt: t('2026-01-01T00:00:00Z'),
        expiresAt: t('2026-06-15T00:00:00Z'),
        activatedAt: null,
      },
      {
        amount: 50,
        activatesAt: t('2026-01-01T00:00:00Z'),
        expiresAt: t('2026-07-01T00:00:00Z'),
        activatedAt: null,
      },
    ]);
  });

  it('makes no lot of the points that repay the receiver’s debt', () => {
    expect(receivedLots(lots, planMove(lots, now).slice(0, 2), 40)).toEqual([
      {
        amount: 40,
        activatesAt: t('2026-01-01T00:00:00Z'),
        expiresAt: t('2026-07-01T00:00:00Z'),
        activatedAt: null,
      },
    ]);
  });

  it('keeps the activation of the points it moves', () => {
    const announced = { ...lot(6, 25, '2026-01-01T00:00:00Z', null), activatedAt: t('2026-01-01T00:00:00Z') };
    expect(receivedLots([announced], [{ lotId: 6, amount: 25 }])).toEqual([
      {
        amount: 25,
        activatesAt: t('2026-01-01T00:00:00Z'),
        expiresAt: null,
        activatedAt: t('2026-01-01T00:00:00Z'),
      },
    ]);
  });
});

describe('a lot created after the business time', () => {
  const later = { ...lot(7, 100, '2026-01-01T00:00:00Z', null), createdAt: t('2026-06-10T00:00:00Z') };
  it('cannot be spent or taken back at that time', () => {
    expect(availableAt([later], 0, now)).toBe(0);
    expect(() => planSpend([later], 0, 30, now)).toThrow(/only 0 available/);
    expect(planClawback([later], 30, now, 'debt')).toEqual({ draws: [], newDebt: 30, writtenOff: 0 });
    expect(planSpend([later], 0, 30, t('2026-06-10T00:00:00Z'))).toEqual([{ lotId: 7, amount: 30 }]);
  });
});

describe('lotDates', () => {
  const earned = t('2026-03-01T10:00:00Z');
  it('takes each setting from the rule, else the card type, else the program', () => {
    expect(lotDates(earned, { program: { activationDelaySeconds: 86_400, lifetimeSeconds: 3_600 } })).toEqual(
      {
        activatesAt: t('2026-03-02T10:00:00Z'),
        expiresAt: t('2026-03-02T11:00:00Z'),
      },
    );
    expect(
      lotDates(earned, {
        rule: { lifetimeSeconds: 60 },
        cardType: { activationDelaySeconds: 0, lifetimeSeconds: 7_200 },
        program: { activationDelaySeconds: 86_400 },
      }),
    ).toEqual({ activatesAt: earned, expiresAt: t('2026-03-01T10:01:00Z') });
    expect(
      lotDates(earned, { cardType: { lifetimeSeconds: null }, program: { lifetimeSeconds: 10 } }).expiresAt,
    ).toBeNull();
  });
});

describe('properties', () => {
  const lotArb = fc.record({
    remaining: fc.integer({ min: 1, max: 1_000 }),
    activates: fc.integer({ min: -10, max: 10 }),
    lifetime: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
  });
  const lotsArb = fc.array(lotArb, { maxLength: 12 }).map((items) =>
    items.map((item, i) => {
      const activatesAt = new Date(now.getTime() + item.activates * 86_400_000);
      return {
        id: i + 1,
        remaining: item.remaining,
        activatesAt,
        expiresAt:
          item.lifetime === null ? null : new Date(activatesAt.getTime() + item.lifetime * 86_400_000),
        createdAt: new Date(now.getTime() - 30 * 86_400_000),
        activatedAt: null,
      };
    }),
  );

  it('a spend draws exactly its amount from spendable lots, never more than a lot holds', () => {
    fc.assert(
      fc.property(
        lotsArb,
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 5_000 }),
        (ls, debt, amount) => {
          const available = availableAt(ls, debt, now);
          if (amount > available) {
            expect(() => planSpend(ls, debt, amount, now)).toThrow();
            return;
          }
          const draws = planSpend(ls, debt, amount, now);
          expect(draws.reduce((s, d) => s + d.amount, 0)).toBe(amount);
          for (const d of draws) {
            const source = ls.find((l) => l.id === d.lotId)!;
            expect(d.amount).toBeLessThanOrEqual(source.remaining);
            expect(source.activatesAt.getTime()).toBeLessThanOrEqual(now.getTime());
            expect(source.expiresAt === null || source.expiresAt > now).toBe(true);
          }
        },
      ),
    );
  });

  it('a clawback covers its amount with unexpired lots, debt and write-off exactly', () => {
    fc.assert(
      fc.property(
        lotsArb,
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom('debt', 'write-off') as fc.Arbitrary<'debt' | 'write-off'>,
        (ls, amount, policy) => {
          const plan = planClawback(ls, amount, now, policy);
          expect(plan.draws.reduce((s, d) => s + d.amount, 0) + plan.newDebt + plan.writtenOff).toBe(amount);
          for (const d of plan.draws) {
            const source = ls.find((l) => l.id === d.lotId)!;
            expect(source.expiresAt === null || source.expiresAt > now).toBe(true);
          }
        },
      ),
    );
  });
});
