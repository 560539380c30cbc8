import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, applyBps } from './allocate';

describe('allocate', () => {
  it('spreads by largest remainder with ties to the lower index', () => {
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(10, [3, 3, 4])).toEqual([3, 3, 4]);
    expect(allocate(5, [100, 200, 300])).toEqual([1, 2, 2]);
    expect(allocate(0, [5, 5])).toEqual([0, 0]);
    expect(allocate(3, [0, 0])).toEqual([2, 1]);
    expect(allocate(0, [])).toEqual([]);
  });

  it('refuses bad input', () => {
    expect(() => allocate(1, [])).toThrow(RangeError);
    expect(() => allocate(-1, [1])).toThrow(RangeError);
    expect(() => allocate(1, [1.5])).toThrow(RangeError);
  });

  it('is exact near 2^53 in the fast path', () => {
    const d = 2 ** 26 + 1;
    const total = 2 ** 26;
    expect(allocate(total, [d - 1, 1]).reduce((a, b) => a + b, 0)).toBe(total);
    expect(applyBps(900_719_925_474, 9_999)).toBe(Number((900_719_925_474n * 9_999n) / 10_000n));
    expect(applyBps(900_719_925_474, 9_999, 'halfUp')).toBe(
      Number((900_719_925_474n * 9_999n + 5_000n) / 10_000n),
    );
  });

  it('handles amounts whose products pass 2^53', () => {
    const big = 9_000_000_000_000;
    const out = allocate(big, [big, big, 1]);
    expect(out.reduce((a, b) => a + b, 0)).toBe(big);
  });

  it('sums exactly, never goes negative or above a weight, and is deterministic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeNat()), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeNat()),
        (weights, t) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          fc.pre(Number.isSafeInteger(sum));
          const total = sum === 0 ? t : t % (sum + 1);
          const exact = weights.map((w) => (sum === 0 ? 0n : (BigInt(total) * BigInt(w)) / BigInt(sum)));
          if (sum > 0)
            exact.forEach((e, i) => expect(BigInt(allocate(total, weights)[i]!) - e).toBeLessThanOrEqual(1n));
          const out = allocate(total, weights);
          expect(out.reduce((a, b) => a + b, 0)).toBe(total);
          expect(out.every((x) => x >= 0)).toBe(true);
          if (sum > 0) out.forEach((x, i) => expect(x).toBeLessThanOrEqual(weights[i]!));
          expect(allocate(total, weights)).toEqual(out);
        },
      ),
    );
  });
});

describe('applyBps', () => {
  it('floors or rounds half up', () => {
    expect(applyBps(999, 500)).toBe(49);
    expect(applyBps(999, 500, 'halfUp')).toBe(50);
    expect(applyBps(990, 500, 'halfUp')).toBe(50);
    expect(applyBps(989, 500, 'halfUp')).toBe(49);
  });
});

it('applyBps agrees with exact arithmetic', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 1_000_000 }), (amount, bps) => {
      const exact = BigInt(amount) * BigInt(bps);
      expect(applyBps(amount, bps)).toBe(Number(exact / 10_000n));
      expect(applyBps(amount, bps, 'halfUp')).toBe(Number((exact + 5_000n) / 10_000n));
    }),
  );
});
