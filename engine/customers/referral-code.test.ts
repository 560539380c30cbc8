import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REFERRAL_ALPHABET, isReferralCode, normalizeReferralCode, referralCode } from './referral-code';

/** A deterministic random source that replays the given values. */
const replay = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('referralCode', () => {
  it('has no look-alike characters', () => {
    for (const c of '0O1IL') expect(REFERRAL_ALPHABET).not.toContain(c);
    expect(new Set(REFERRAL_ALPHABET).size).toBe(REFERRAL_ALPHABET.length);
  });

  it('maps the random source onto the alphabet', () => {
    expect(referralCode(replay([0]))).toBe('22222222');
    expect(referralCode(replay([0.999999]), 4)).toBe('ZZZZ');
    expect(referralCode(replay([0, 0.5]), 6)).toBe(
      `2${REFERRAL_ALPHABET[15]}2${REFERRAL_ALPHABET[15]}2${REFERRAL_ALPHABET[15]}`,
    );
  });

  it('refuses a bad length or a random source out of range', () => {
    expect(() => referralCode(replay([0]), 3)).toThrow(RangeError);
    expect(() => referralCode(replay([0]), 17)).toThrow(RangeError);
    expect(() => referralCode(replay([0]), 6.5)).toThrow(RangeError);
    expect(() => referralCode(replay([1]))).toThrow(RangeError);
    expect(() => referralCode(replay([Number.NaN]))).toThrow(RangeError);
  });

  it('always produces a valid code of the asked length', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }),
        fc.integer({ min: 4, max: 16 }),
        (values, length) => {
          const code = referralCode(replay(values), length);
          expect(code).toHaveLength(length);
          expect(isReferralCode(code, length)).toBe(true);
        },
      ),
    );
  });
});

describe('isReferralCode', () => {
  it('accepts issued codes only', () => {
    expect(isReferralCode('7KQ4M9XZ')).toBe(true);
    expect(isReferralCode('7KQ4M9XZ', 8)).toBe(true);
    expect(isReferralCode('7KQ4M9XZ', 6)).toBe(false);
    expect(isReferralCode('7kq4m9xz')).toBe(false);
    expect(isReferralCode('7KQ0M9XZ')).toBe(false);
    expect(isReferralCode('7KQ4M9XL')).toBe(false);
    expect(isReferralCode('ABC')).toBe(false);
    expect(isReferralCode('A'.repeat(17))).toBe(false);
    expect(isReferralCode(12345678)).toBe(false);
  });

  it('accepts a typed code after normalisation', () => {
    expect(normalizeReferralCode(' 7kq4-m9xz ')).toBe('7KQ4M9XZ');
    expect(isReferralCode(normalizeReferralCode('7kq4 m9xz'))).toBe(true);
  });
});
