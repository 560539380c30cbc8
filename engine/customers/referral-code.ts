/**
 * Characters of a referral code: digits and capital Latin letters without those read as one another
 * when a code is dictated or copied from paper (0/O, 1/I/L).
 */
export const REFERRAL_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

const MIN_LENGTH = 4;
const MAX_LENGTH = 16;
const PATTERN = new RegExp(`^[${REFERRAL_ALPHABET}]{${MIN_LENGTH},${MAX_LENGTH}}$`);

/**
 * A new referral code. `random` is uniform in [0, 1); pass a cryptographic generator in production so
 * codes cannot be predicted. Uniqueness is the caller's: retry on a collision with an existing code.
 */
export function referralCode(random: () => number, length = 8): string {
  if (!Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    throw new RangeError(`length must be ${MIN_LENGTH} to ${MAX_LENGTH}`);
  }
  let code = '';
  for (let i = 0; i < length; i++) {
    const r = random();
    if (!(r >= 0 && r < 1)) throw new RangeError(`random() returned ${r}, expected a number in [0, 1)`);
    code += REFERRAL_ALPHABET[Math.floor(r * REFERRAL_ALPHABET.length)];
  }
  return code;
}

/** The form a typed code is looked up by: capitals, without spaces and dashes. */
export function normalizeReferralCode(input: string): string {
  return input.replace(/[\s-]+/g, '').toUpperCase();
}

/** Whether `s` is a referral code as issued (already normalised), optionally of exactly `length`. */
export function isReferralCode(s: unknown, length?: number): s is string {
  return typeof s === 'string' && PATTERN.test(s) && (length === undefined || s.length === length);
}
