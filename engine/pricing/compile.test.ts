import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { candidates, compileRules } from './compile';
import { check, line, rule } from './fixtures';

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
      candidates(c, check(lines).lines).map((i) => c.rules[i]!.id);
    expect(ids([line('X', 100)])).toEqual(['all']);
    expect(ids([line('A', 100)])).toEqual(['all', 'b']);
    expect(ids([line('M', 100, 1, { category: ['dairy', 'milk'] })])).toEqual(['a', 'all']);
    expect(ids([line('M', 100, 1, { brand: 'acme', supplier: 'sup' })])).toEqual(['z', 'all', 'y']);
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
