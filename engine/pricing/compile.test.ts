import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { candidates, compileRules } from './compile';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

const pct = { kind: 'percent', bps: 1000 } as const;

describe('compileRules', () => {
  it('orders by priority then id and indexes by the most selective target key', () => {
    const c = compileRules([
      rule({ id: 'b', benefit: pct, target: { skus: ['A'] } }),
      rule({ id: 'a', benefit: pct, target: { categories: [['dairy']] } }),
      rule({ id: 'z', priority: 5, benefit: pct, target: { brands: ['acme'] } }),
      rule({ id: 'y', benefit: pct, target: { suppliers: ['sup'] } }),
      rule({ id: 'all', benefit: pct }),
    ]);
    expect(c.rules.map((r) => r.id)).toEqual(['z', 'a', 'all', 'b', 'y']);
    const ids = (lines: ReturnType<typeof line>[]) =>
      [...candidates(c, check(lines), at).positions].map((i) => c.rules[i]!.id);
    expect(ids([line('X', 100)])).toEqual(['all']);
    expect(ids([line('A', 100)])).toEqual(['all', 'b']);
    expect(ids([line('M', 100, 1, { category: ['dairy', 'milk'] })])).toEqual(['a', 'all']);
    expect(ids([line('M', 100, 1, { brand: 'acme', supplier: 'sup' })])).toEqual(['z', 'all', 'y']);
  });

  it('keeps out rules whose store, local hour or validity cannot match, and says why when explaining', () => {
    const c = compileRules([
      rule({ id: 'store', benefit: pct, condition: { type: 'store', storeIds: ['S2'] } }),
      rule({
        id: 'morning',
        benefit: pct,
        schedule: { weekdays: [1], windows: [{ from: '08:00', to: '10:30' }] },
      }),
      rule({ id: 'ended', benefit: pct, validity: { to: '2026-11-23T08:59:00Z' } }),
      rule({ id: 'later', benefit: pct, validity: { from: '2026-11-23T09:30:00Z' } }),
      rule({ id: 'always', benefit: pct }),
    ]);
    const ids = (localDateTime: string, when = at) =>
      [...candidates(c, check([line('A', 100)], localDateTime), when).positions].map((i) => c.rules[i]!.id);
    // Monday 12:00 at 09:00Z: only "always"; "later" starts inside the hour, so it stays a candidate.
    expect(ids('2026-11-23T12:00')).toEqual(['always', 'later']);
    expect(ids('2026-11-23T10:15')).toEqual(['always', 'later', 'morning']);
    expect(ids('2026-11-24T10:15')).toEqual(['always', 'later']);
    const why = evaluateCheck(c, check([line('A', 100)]), customer(), at).explanations;
    expect(
      Object.fromEntries(why.map((e) => [e.ruleId, e.status === 'not_eligible' ? e.failed : e.status])),
    ).toEqual({
      always: 'applied',
      ended: 'validity.to',
      later: 'validity.from',
      morning: 'schedule.time',
      store: 'condition.store',
    });
  });

  it('refuses duplicate ids, mixed modes and mixed phases in a group', () => {
    expect(() => compileRules([rule({ id: 'a', benefit: pct }), rule({ id: 'a', benefit: pct })])).toThrow(
      DomainError,
    );
    expect(() =>
      compileRules([
        rule({ id: 'a', benefit: pct, conflict: { group: 'g', mode: 'max' } }),
        rule({ id: 'b', benefit: pct, conflict: { group: 'g', mode: 'priority' } }),
      ]),
    ).toThrow(/mode/);
    expect(() =>
      compileRules([
        rule({ id: 'a', benefit: pct, conflict: { group: 'g', mode: 'max' } }),
        rule({ id: 'b', benefit: { kind: 'earn', bps: 1 }, conflict: { group: 'g', mode: 'max' } }),
      ]),
    ).toThrow(/mixes/);
  });
});
