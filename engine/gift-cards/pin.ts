import { createHmac, timingSafeEqual } from 'node:crypto';

/** Digits of an e-certificate's PIN. */
export const pinDigits = 8;

/**
 * The PIN of an e-certificate: HMAC-SHA256 of its number under the type's secret key, as 8 decimal
 * digits. Nothing about the PIN is stored: it is derived again to check it, so a leaked table of cards
 * reveals no PINs (a stored hash of 8 digits would fall to 10^8 guesses).
 */
export function giftCardPin(secretKey: Buffer, number: string): string {
  const mac = createHmac('sha256', secretKey).update(`loyalflow/gift-card-pin/v1:${number}`).digest();
  return (mac.readBigUInt64BE(0) % 10n ** BigInt(pinDigits)).toString().padStart(pinDigits, '0');
}

/**
 * Guessing guard: after `failures` wrong PINs in a row a card refuses every PIN for `lockSeconds`, so
 * the 10^8 PINs of a card cannot be tried through the API (10 guesses an hour at most).
 */
export const pinLockout = { failures: 5, lockSeconds: 30 * 60 } as const;

/** Whether `pin` is the card's PIN, compared in constant time. */
export function pinMatches(secretKey: Buffer, number: string, pin: string): boolean {
  const expected = Buffer.from(giftCardPin(secretKey, number));
  const given = Buffer.from(pin.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
