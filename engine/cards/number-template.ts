import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../errors';
import { keyedPermutation } from '../keyed-permutation';

/**
 * Card number templates and the generator of their numbers.
 *
 * A number is `prefix + body + check digit` (the Luhn digit when `luhn` is on). The body space has
 * N = 10^k values (k body digits). Only sequence indexes 0 … N/1000 − 1 are ever issued, and index i
 * becomes the body P(i), where P is a keyed format-preserving permutation of [0, N): a 10-round
 * Feistel network over the two decimal halves of the body (FF1's structure, no cycle walking needed),
 * whose round function is AES-128 keyed by HMAC-SHA256(secret, template). So:
 * - numbers never collide (P is a bijection) and need no database round trip to be unique;
 * - consecutive indexes give unrelated numbers, and without the key one cannot tell neighbours;
 * - exactly 1/1000 of the template's valid numbers can ever be issued, so a random valid number hits
 *   an issued card with probability ≤ 1/1000 (≤ 10 expected hits per 10 000 guesses).
 * The caller keeps the next index per template (a pool counter) and the secret key.
 */

const minBodyDigits = 3; // 10^3 / 1000 = 1 issuable number
const density = 1000; // one valid number in 1000 may ever be issued

export const cardNumberTemplateSchema = z
  .object({
    prefix: z.string().regex(/^\d*$/, 'prefix must be decimal digits'),
    length: z.number().int().min(8).max(19),
    luhn: z.boolean().default(true),
  })
  .superRefine((t, ctx) => {
    if (bodyDigits(t) < minBodyDigits) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `the prefix leaves ${Math.max(0, bodyDigits(t))} random digits; at least ${minBodyDigits} are needed`,
      });
    }
  });

export type CardNumberTemplate = z.output<typeof cardNumberTemplateSchema>;
export type CardNumberTemplateInput = z.input<typeof cardNumberTemplateSchema>;

/** Digits between the prefix and the check digit. */
export function bodyDigits(t: CardNumberTemplate): number {
  return t.length - t.prefix.length - (t.luhn ? 1 : 0);
}

/**
 * How many valid numbers the template has (10^body digits: one Luhn-valid number per body). Powers of
 * ten up to 10^22 are exact doubles, so the value is exact even above 2^53.
 */
export function templateCapacity(t: CardNumberTemplate): number {
  return 10 ** bodyDigits(t);
}

/** How many numbers may ever be issued: floor(capacity / 1000), at most 10^15 (a safe integer). */
export function maxIssuable(t: CardNumberTemplate): number {
  return Math.floor(templateCapacity(t) / density); // exact: 10^k / 10^3 is a representable quotient
}

export interface CardNumberGenerator {
  readonly template: CardNumberTemplate;
  /** Indexes 0 … maxIssuable − 1 may be issued. */
  readonly maxIssuable: number;
  /** The number of sequence index `index`. */
  numberAt(index: number): string;
  /**
   * The numbers of indexes start … start + count − 1: in index order, or in ascending order with
   * `sorted` (cheaper to insert into a B-tree; costs 16 bytes per number while sorting).
   */
  generate(start: number, count: number, options?: { sorted?: boolean }): string[];
  /** The same numbers in arrays of at most `size` (default 50 000), to bound memory for big pools. */
  batches(
    start: number,
    count: number,
    options?: { size?: number; sorted?: boolean },
  ): Generator<string[], void, undefined>;
  /**
   * The index a number was issued under, or null when the number does not belong to the template's
   * issued set (wrong shape, prefix or check digit, or a body outside the 1/1000 that is issued).
   */
  indexOf(number: string): number | null;
}

/**
 * A deterministic generator for `template` keyed by `secretKey` (at least 16 bytes; keep it secret and
 * stable: a different key gives a different, overlapping set of numbers).
 */
export function createNumberGenerator(
  templateInput: CardNumberTemplateInput,
  secretKey: Buffer | Uint8Array,
): CardNumberGenerator {
  const template = cardNumberTemplateSchema.parse(templateInput);
  if (secretKey.length < 16)
    throw new RangeError('createNumberGenerator: the secret key needs at least 16 bytes');

  const { prefix, length, luhn } = template;
  const k = bodyDigits(template);
  const u = Math.floor(k / 2); // digits of the left half
  const v = k - u; // digits of the right half (k ≤ 18, so both halves are below 10^9 < 2^32)
  const mu = 10 ** u;
  const mv = 10 ** v;
  const max = maxIssuable(template);

  const aesKey = createHmac('sha256', secretKey)
    .update(`loyalflow/card-number/v1:${prefix}:${length}:${luhn ? 1 : 0}`)
    .digest()
    .subarray(0, 16);
  const perm = keyedPermutation(aesKey, { u, v, mu, mv });
  const chunk = perm.batch;

  // Luhn: positions counted from the right of prefix + body; position 0 (next to the check digit) doubles.
  const doubled = (d: number) => (d > 4 ? 2 * d - 9 : 2 * d);
  let prefixSum = 0;
  for (let i = 0; i < prefix.length; i++) {
    const d = prefix.charCodeAt(prefix.length - 1 - i) - 48;
    prefixSum += (k + i) % 2 === 0 ? doubled(d) : d;
  }
  // Weighted sums of 3-digit groups whose last digit sits at an even (doubled) or odd position.
  const groupEven = new Uint8Array(1000);
  const groupOdd = new Uint8Array(1000);
  for (let g = 0; g < 1000; g++) {
    const [d0, d1, d2] = [g % 10, Math.floor(g / 10) % 10, Math.floor(g / 100)];
    groupEven[g] = doubled(d0) + d1 + doubled(d2);
    groupOdd[g] = d0 + doubled(d1) + d2;
  }
  /** The Luhn sum of `value`'s digits when its last digit is at `firstPosition` (leading zeros add 0). */
  function luhnSum(value: number, firstPosition: number): number {
    let sum = 0;
    let even = firstPosition % 2 === 0;
    while (value > 0) {
      const g = value % 1000;
      value = (value - g) / 1000;
      sum += even ? groupEven[g]! : groupOdd[g]!;
      even = !even; // 3 digits on, the parity flips
    }
    return sum;
  }

  function checkRange(start: number, count: number): void {
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 0) {
      throw new DomainError('invalid_card_range', `bad index range: start ${start}, count ${count}`, 422);
    }
    if (start + count > max) {
      throw new DomainError(
        'card_numbers_exhausted',
        `the template ${prefix}… (${length} digits) issues at most ${max} numbers; indexes ${start}…${start + count - 1} asked`,
        409,
      );
    }
  }

  function format(hi: number, lo: number): string {
    const number = prefix + hi.toString().padStart(u, '0') + lo.toString().padStart(v, '0');
    if (!luhn) return number;
    const sum = prefixSum + luhnSum(lo, 0) + luhnSum(hi, v);
    return number + ((10 - (sum % 10)) % 10);
  }

  /** Numbers in index order, `chunk` at a time. */
  function* inIndexOrder(start: number, count: number): Generator<string[], void, undefined> {
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      perm.forward(start + done, n);
      const out = new Array<string>(n);
      for (let j = 0; j < n; j++) out[j] = format(perm.hi[j]!, perm.lo[j]!);
      yield out;
    }
  }

  /** Numbers in ascending order (all bodies are computed and sorted first), `chunk` at a time. */
  function* inNumberOrder(start: number, count: number): Generator<string[], void, undefined> {
    const his = new Uint32Array(count);
    const los = new Uint32Array(count);
    for (let done = 0; done < count; done += chunk) {
      const n = Math.min(chunk, count - done);
      perm.forward(start + done, n);
      his.set(perm.hi.subarray(0, n), done);
      los.set(perm.lo.subarray(0, n), done);
    }
    // Equal-length digit strings sort like their bodies: by left half, then right half.
    if (k <= 15) {
      // body = hi·10^v + lo < 10^15 < 2^53 is exact: a native numeric sort of doubles
      const keys = new Float64Array(count);
      for (let j = 0; j < count; j++) keys[j] = his[j]! * mv + los[j]!;
      keys.sort();
      for (let j = 0; j < count; j++) {
        const key = keys[j]!;
        let hi = Math.floor(key / mv);
        let lo = key - hi * mv;
        if (lo < 0) [hi, lo] = [hi - 1, lo + mv];
        else if (lo >= mv) [hi, lo] = [hi + 1, lo - mv];
        his[j] = hi;
        los[j] = lo;
      }
      for (let done = 0; done < count; done += chunk) {
        const n = Math.min(chunk, count - done);
        const out = new Array<string>(n);
        for (let j = 0; j < n; j++) out[j] = format(his[done + j]!, los[done + j]!);
        yield out;
      }
    } else {
      const order = new Uint32Array(count);
      for (let j = 0; j < count; j++) order[j] = j;
      order.sort((x, y) => his[x]! - his[y]! || los[x]! - los[y]!);
      for (let done = 0; done < count; done += chunk) {
        const n = Math.min(chunk, count - done);
        const out = new Array<string>(n);
        for (let j = 0; j < n; j++) out[j] = format(his[order[done + j]!]!, los[order[done + j]!]!);
        yield out;
      }
    }
  }

  function generate(start: number, count: number, options: { sorted?: boolean } = {}): string[] {
    checkRange(start, count);
    const parts = options.sorted ? inNumberOrder(start, count) : inIndexOrder(start, count);
    const out: string[] = [];
    for (const part of parts) for (const number of part) out.push(number);
    return out;
  }

  function batches(
    start: number,
    count: number,
    options: { size?: number; sorted?: boolean } = {},
  ): Generator<string[], void, undefined> {
    const size = options.size ?? 50_000;
    checkRange(start, count); // now, not at the first next()
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`batches: bad size ${size}`);
    return rebatch(options.sorted ? inNumberOrder(start, count) : inIndexOrder(start, count), size);
  }

  function* rebatch(parts: Iterable<string[]>, size: number): Generator<string[], void, undefined> {
    let batch: string[] = [];
    for (const part of parts) {
      for (const number of part) {
        batch.push(number);
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  const shape = new RegExp(`^${prefix}\\d{${length - prefix.length}}$`);

  function indexOf(number: string): number | null {
    if (!shape.test(number)) return null;
    const body = number.slice(prefix.length, prefix.length + k);
    const hi = Number(body.slice(0, u));
    const lo = Number(body.slice(u));
    if (luhn) {
      const sum = prefixSum + luhnSum(lo, 0) + luhnSum(hi, v);
      if ((10 - (sum % 10)) % 10 !== number.charCodeAt(length - 1) - 48) return null;
    }
    const index = perm.inverse(hi, lo);
    return index < max ? index : null;
  }

  return {
    template,
    maxIssuable: max,
    numberAt: (index) => generate(index, 1)[0]!,
    generate,
    batches,
    indexOf,
  };
}
