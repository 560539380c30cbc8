import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLuhnValid, luhnCheckDigit } from './luhn';

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((ds) => ds.join(''));

describe('Luhn', () => {
  it('matches known numbers', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(isLuhnValid('5555555555554444')).toBe(true);
    expect(isLuhnValid('00')).toBe(true);
    expect(luhnCheckDigit('0')).toBe(0);
    expect(luhnCheckDigit('1')).toBe(8);
  });

  it('rejects what is not a number of at least two digits', () => {
    for (const bad of ['', '0', '4111 1111 1111 1111', '411111111111111a', '-79927398713', '７９']) {
      expect(isLuhnValid(bad)).toBe(false);
    }
    expect(() => luhnCheckDigit('')).toThrow(RangeError);
    expect(() => luhnCheckDigit('12a')).toThrow(RangeError);
  });

  it('makes every payload valid with its check digit and only with it', () => {
    fc.assert(
      fc.property(digits(1, 30), (payload) => {
        const check = luhnCheckDigit(payload);
        for (let d = 0; d <= 9; d++) expect(isLuhnValid(payload + d)).toBe(d === check);
      }),
    );
  });

  it('detects every single-digit error', () => {
    fc.assert(
      fc.property(digits(1, 20), fc.nat(), fc.integer({ min: 1, max: 9 }), (payload, at, delta) => {
        const number = payload + luhnCheckDigit(payload);
        const i = at % number.length;
        const changed = String((Number(number[i]) + delta) % 10);
        expect(isLuhnValid(number.slice(0, i) + changed + number.slice(i + 1))).toBe(false);
      }),
    );
  });

  it('detects swaps of adjacent digits except 0↔9', () => {
    fc.assert(
      fc.property(digits(2, 20), fc.nat(), (payload, at) => {
        const number = payload + luhnCheckDigit(payload);
        const i = at % (number.length - 1);
        const [x, y] = [number[i]!, number[i + 1]!];
        fc.pre(x !== y && !(`${x}${y}` === '09' || `${x}${y}` === '90'));
        expect(isLuhnValid(number.slice(0, i) + y + x + number.slice(i + 2))).toBe(false);
      }),
    );
  });
});
