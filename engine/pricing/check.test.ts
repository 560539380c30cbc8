import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { lineAmount, parseCheck, unitPrices } from './check';

describe('check', () => {
  it('represents weighted goods as grams × price per kg, one unit', () => {
    const l = { quantity: 1_250, unitPrice: 39_990, weighted: true };
    expect(lineAmount(l)).toBe(49_988); // 49 987.5 rounded half up
    expect(unitPrices(l)).toEqual([49_988]);
    expect(unitPrices({ quantity: 3, unitPrice: 100, weighted: false })).toEqual([100, 100, 100]);
  });

  it('parses with defaults and refuses bad input naming the field', () => {
    const c = parseCheck({
      lines: [{ sku: 'A', quantity: 1, unitPrice: 100 }],
      storeId: 'S1',
      localDateTime: '2026-11-23T10:00',
      timeZone: 'Europe/Moscow',
    });
    expect(c.lines[0]).toMatchObject({ category: [], weighted: false, noRedemption: false, name: '' });
    try {
      parseCheck({ ...c, lines: [{ sku: 'A', quantity: 1.5, unitPrice: 100 }] });
      expect.unreachable();
    } catch (e) {
      expect((e as DomainError).field).toBe('check.lines.0.quantity');
    }
    expect(() => parseCheck({ ...c, localDateTime: '2026-11-23 10:00' })).toThrow(DomainError);
  });
});
