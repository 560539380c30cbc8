import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { parseRules, ruleSchema } from './rules';

describe('rule schema', () => {
  it('accepts a full rule and defaults priority', () => {
    const r = ruleSchema.parse({
      id: 'r1',
      name: 'Happy hours',
      conflict: { group: 'earn', mode: 'max' },
      validity: { from: '2026-01-01T00:00:00+03:00', to: '2027-01-01T00:00:00+03:00' },
      schedule: { weekdays: [1, 2, 3, 4, 5], windows: [{ from: '10:00', to: '13:00' }] },
      condition: {
        type: 'and',
        all: [
          { type: 'tier', tiers: ['gold'] },
          { type: 'not', not: { type: 'segment', segments: ['staff'] } },
          { type: 'or', any: [{ type: 'checkAmount', min: 10_000 }, { type: 'birthdayMonth' }] },
          { type: 'line', filter: { categories: [['coffee']] }, minQuantity: 2 },
          { type: 'groupItem', where: { gender: 'm' }, minAge: 13 },
        ],
      },
      target: { brands: ['acme'], minUnitPrice: 100 },
      benefit: { kind: 'earn', bps: 500 },
    });
    expect(r.priority).toBe(0);
  });

  it('refuses fractions, bad windows, M-for-N without a free unit and unknown keys', () => {
    const base = { id: 'r', name: 'r' };
    expect(ruleSchema.safeParse({ ...base, benefit: { kind: 'percent', bps: 10.5 } }).success).toBe(false);
    expect(ruleSchema.safeParse({ ...base, benefit: { kind: 'percent', bps: 10_001 } }).success).toBe(false);
    expect(ruleSchema.safeParse({ ...base, benefit: { kind: 'mForN', buy: 3, pay: 3 } }).success).toBe(false);
    expect(
      ruleSchema.safeParse({
        ...base,
        schedule: { windows: [{ from: '13:00', to: '10:00' }] },
        benefit: { kind: 'percent', bps: 1 },
      }).success,
    ).toBe(false);
    expect(ruleSchema.safeParse({ ...base, benefit: { kind: 'percent', bps: 1 }, extra: 1 }).success).toBe(
      false,
    );
    expect(
      ruleSchema.safeParse({ ...base, condition: { type: 'tier' }, benefit: { kind: 'percent', bps: 1 } })
        .success,
    ).toBe(false);
  });

  it('parseRules names the failing field', () => {
    try {
      parseRules([{ id: 'a', name: 'a', benefit: { kind: 'earn', bps: -1 } }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).field).toBe('rules.0.benefit.bps');
    }
  });
});
