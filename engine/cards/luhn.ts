/**
 * The Luhn (mod 10) check digit of card numbers: from the right, every second digit starting with the
 * one next to the check digit is doubled (minus 9 when above 9); the check digit makes the sum a
 * multiple of 10.
 */

const digitsOnly = /^\d+$/;

/** The check digit to append to `digits` (the number without its check digit). */
export function luhnCheckDigit(digits: string): number {
  if (!digitsOnly.test(digits))
    throw new RangeError(`luhnCheckDigit: expected decimal digits, got "${digits}"`);
  let sum = 0;
  let double = true; // the rightmost payload digit sits next to the check digit
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `number` is at least two decimal digits and its last digit is the Luhn check digit. */
export function isLuhnValid(number: string): boolean {
  if (number.length < 2 || !digitsOnly.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === number.charCodeAt(number.length - 1) - 48;
}
