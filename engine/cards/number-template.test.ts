import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { isLuhnValid, luhnCheckDigit } from './luhn';
import {
  cardNumberTemplateSchema,
  createNumberGenerator,
  maxIssuable,
  templateCapacity,
  type CardNumberTemplateInput,
} from './number-template';

const key = Buffer.from('a test key of the card number generator, 32+ bytes');
const card16: CardNumberTemplateInput = { prefix: '2775', length: 16 };
const small: CardNumberTemplateInput = { prefix: '77', length: 10 }; // 7 body digits: 10^7 valid numbers

/** A seeded PRNG (mulberry32): the sampled guesses are the same at every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('card number templates', () => {
  it('validates prefix and length and turns Luhn on by default', () => {
    expect(cardNumberTemplateSchema.parse({ prefix: '2775', length: 16 })).toEqual({
      prefix: '2775',
      length: 16,
      luhn: true,
    });
    expect(cardNumberTemplateSchema.parse({ prefix: '', length: 8, luhn: false }).luhn).toBe(false);
    for (const bad of [
      { prefix: '27a5', length: 16 },
      { prefix: '27', length: 7 },
      { prefix: '27', length: 20 },
      { prefix: '27', length: 12.5 },
      { prefix: '1234', length: 8 }, // 3 body digits are the least: 1234 + 3 + check = 8 is fine, this leaves 3
      { prefix: '12345', length: 8 }, // leaves 2 body digits
    ]) {
      const ok = cardNumberTemplateSchema.safeParse(bad).success;
      expect(ok, JSON.stringify(bad)).toBe(bad.prefix === '1234');
    }
  });

  it('counts valid and issuable numbers', () => {
    const t = (input: CardNumberTemplateInput) => cardNumberTemplateSchema.parse(input);
    expect([templateCapacity(t(small)), maxIssuable(t(small))]).toEqual([10 ** 7, 10 ** 4]);
    expect([
      templateCapacity(t({ ...small, luhn: false })),
      maxIssuable(t({ ...small, luhn: false })),
    ]).toEqual([10 ** 8, 10 ** 5]);
    expect([
      templateCapacity(t({ prefix: '', length: 19 })),
      maxIssuable(t({ prefix: '', length: 19 })),
    ]).toEqual([1e18, 1e15]);
    expect(maxIssuable(t({ prefix: '1234', length: 8 }))).toBe(1);
  });
});

describe('card number generator', () => {
  const generator = createNumberGenerator(card16, key);

  it('gives 200 000 distinct, Luhn-valid numbers of the template', () => {
    const numbers = generator.generate(0, 200_000);
    expect(numbers).toHaveLength(200_000);
    expect(new Set(numbers).size).toBe(200_000);
    for (const number of numbers) {
      if (number.length !== 16 || !number.startsWith('2775') || !isLuhnValid(number)) {
        throw new Error(`bad number ${number}`);
      }
    }
  });

  it('is deterministic per key and template, and depends on both', () => {
    const again = createNumberGenerator(card16, Buffer.from(key));
    expect(again.generate(1000, 100)).toEqual(generator.generate(1000, 100));
    const otherKey = createNumberGenerator(card16, Buffer.from('another key of the card number generator'));
    const otherPrefix = createNumberGenerator({ prefix: '2776', length: 16 }, key);
    const mine = generator.generate(0, 100);
    const theirs = otherKey.generate(0, 100);
    expect(mine.filter((n, i) => n === theirs[i])).toEqual([]);
    expect(otherPrefix.generate(0, 100).map((n) => n.slice(4))).not.toEqual(mine.map((n) => n.slice(4)));
  });

  it('gives the same number for an index however the range is cut', () => {
    const whole = generator.generate(0, 40_000);
    expect(generator.generate(16_000, 24_000)).toEqual(whole.slice(16_000));
    expect(generator.numberAt(33_333)).toBe(whole[33_333]);
    expect([...generator.batches(0, 40_000, { size: 7_000 })].flat()).toEqual(whole);
    const sorted = generator.generate(0, 40_000, { sorted: true });
    expect(sorted).toEqual([...whole].sort());
    expect([...generator.batches(0, 40_000, { size: 7_000, sorted: true })].flat()).toEqual(sorted);
  });

  it('makes neighbouring indexes unrelated numbers', () => {
    const numbers = generator.generate(500_000, 10_001);
    let differing = 0;
    for (let i = 0; i < 10_000; i++) {
      const [x, y] = [numbers[i]!.slice(4, 15), numbers[i + 1]!.slice(4, 15)];
      for (let d = 0; d < 11; d++) if (x[d] !== y[d]) differing++;
      // never close to each other: a neighbour is not found by counting up or down
      expect(Math.abs(Number(x) - Number(y))).toBeGreaterThan(10_000);
    }
    // random 11-digit bodies differ in 9.9 digits on average
    expect(differing / 10_000).toBeGreaterThan(9.5);
    // and the issued numbers are spread over the whole body space, not a corner of it
    const leading = new Set(numbers.map((n) => n[4]));
    expect(leading.size).toBe(10);
  });

  it('knows the index of its numbers and refuses every other number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: generator.maxIssuable - 1 }), (index) => {
        const number = generator.numberAt(index);
        expect(generator.indexOf(number)).toBe(index);
        const wrongCheck = number.slice(0, -1) + ((Number(number.at(-1)) + 1) % 10);
        expect(generator.indexOf(wrongCheck)).toBeNull();
      }),
    );
    expect(generator.indexOf('2776' + generator.numberAt(5).slice(4))).toBeNull();
    expect(generator.indexOf(generator.numberAt(5) + '0')).toBeNull();
    expect(generator.indexOf('not a number')).toBeNull();
  });

  it('issues 1/1000 of the valid numbers: random valid numbers hit ≤ 10 cards per 10 000 on average', () => {
    const smallGenerator = createNumberGenerator(small, key);
    expect(smallGenerator.maxIssuable).toBe(10_000);
    const issued = new Set(smallGenerator.generate(0, smallGenerator.maxIssuable)); // the whole issued set
    expect(issued.size).toBe(10_000); // = 10^7 valid numbers / 1000: P(hit) = 1/1000 for a random guess
    for (const number of issued) expect(smallGenerator.indexOf(number)).not.toBeNull();

    // 50 rounds of 10 000 uniformly random valid numbers (seeded, so the run is reproducible)
    const random = prng(20_251_125);
    const hitsPerRound: number[] = [];
    for (let round = 0; round < 50; round++) {
      let hits = 0;
      for (let g = 0; g < 10_000; g++) {
        const payload = '77' + String(Math.floor(random() * 10 ** 7)).padStart(7, '0');
        const guess = payload + luhnCheckDigit(payload);
        if (issued.has(guess)) {
          hits++;
          expect(smallGenerator.indexOf(guess)).not.toBeNull();
        } else if (g % 1000 === 0) {
          expect(smallGenerator.indexOf(guess)).toBeNull();
        }
      }
      hitsPerRound.push(hits);
    }
    const mean = hitsPerRound.reduce((s, h) => s + h, 0) / hitsPerRound.length;
    // Poisson(10) per round: the mean of 50 rounds is 10 ± 0.45; a round above 25 has p < 10^-4
    expect(mean).toBeGreaterThan(8.5);
    expect(mean).toBeLessThanOrEqual(11);
    expect(Math.max(...hitsPerRound)).toBeLessThanOrEqual(25);
  });

  it('refuses to go beyond the issuable indexes', () => {
    const smallGenerator = createNumberGenerator(small, key);
    expect(smallGenerator.generate(9_995, 5)).toHaveLength(5);
    const exhausted = refusal(() => smallGenerator.generate(9_995, 6));
    expect([exhausted.code, exhausted.status]).toEqual(['card_numbers_exhausted', 409]);
    expect(refusal(() => smallGenerator.numberAt(10_000)).code).toBe('card_numbers_exhausted');
    expect(refusal(() => smallGenerator.batches(0, 10_001)).code).toBe('card_numbers_exhausted');
    expect(refusal(() => smallGenerator.generate(-1, 1)).code).toBe('invalid_card_range');
    expect(refusal(() => smallGenerator.generate(0.5, 1)).code).toBe('invalid_card_range');
    expect(smallGenerator.generate(10_000, 0)).toEqual([]);
  });

  it('works at the top of the longest template and without Luhn', () => {
    const longest = createNumberGenerator({ prefix: '', length: 19 }, key);
    const top = longest.generate(longest.maxIssuable - 1_000, 1_000, { sorted: true });
    expect(new Set(top).size).toBe(1_000);
    expect(top.every((n) => n.length === 19 && isLuhnValid(n))).toBe(true);
    expect(top.map((n) => longest.indexOf(n)! - (longest.maxIssuable - 1_000)).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i),
    );

    const plain = createNumberGenerator({ prefix: '9', length: 8, luhn: false }, key);
    const all = plain.generate(0, plain.maxIssuable); // 10^7 / 1000
    expect(new Set(all).size).toBe(10_000);
    expect(all.every((n) => /^9\d{7}$/.test(n))).toBe(true);
    expect(all.filter(isLuhnValid).length).toBeLessThan(1_500); // about 1 in 10 by chance, not all
    expect(plain.indexOf(all[123]!)).toBe(123);
  });

  it('wants a key of at least 16 bytes', () => {
    expect(() => createNumberGenerator(card16, Buffer.alloc(15))).toThrow(RangeError);
  });
});
