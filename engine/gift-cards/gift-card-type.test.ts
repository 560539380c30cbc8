import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import { checkActivationAmount, giftCardExpiry, giftCardTypeInputSchema } from './gift-card-type';

const base = {
  code: 'gc',
  name: 'Gift card',
  kind: 'plastic',
  validityDays: 365,
  numbers: { prefix: '77', length: 16 },
};

describe('gift card types', () => {
  it('takes fixed nominals or an open range, never both or neither, naming the field', () => {
    expect(giftCardTypeInputSchema.parse({ ...base, nominals: [100_000, 50_000] }).numbers.luhn).toBe(true);
    expect(giftCardTypeInputSchema.parse({ ...base, minAmount: 1000, maxAmount: 5000 }).minAmount).toBe(1000);
    const paths = (body: object) =>
      giftCardTypeInputSchema.safeParse({ ...base, ...body }).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ nominals: [1000], minAmount: 1 })).toEqual(['nominals']);
    expect(paths({})).toEqual(['minAmount']);
    expect(paths({ minAmount: 1000 })).toEqual(['maxAmount']);
    expect(paths({ minAmount: 5000, maxAmount: 1000 })).toEqual(['maxAmount']);
    expect(paths({ nominals: [1000, 1000] })).toEqual(['nominals']);
    expect(paths({ nominals: [0] })).toEqual(['nominals.0']);
  });

  it('sells a nominal or an amount in range only', () => {
    const fixed = { nominals: [1000, 5000], minAmount: null, maxAmount: null, validityDays: 1 };
    expect(() => checkActivationAmount(fixed, 5000)).not.toThrow();
    const wrong = (() => {
      try {
        checkActivationAmount(fixed, 3000);
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect(wrong).toMatchObject({ code: 'gift_card_nominal_invalid', field: 'amount', status: 422 });
    const open = { nominals: null, minAmount: 1000, maxAmount: 2000, validityDays: 1 };
    expect(() => checkActivationAmount(open, 1500)).not.toThrow();
    expect(() => checkActivationAmount(open, 2001)).toThrow(/1000 … 2000/);
    expect(() => checkActivationAmount(open, 999)).toThrow(DomainError);
  });

  it('expires validityDays × 24 h after activation', () => {
    const at = new Date('2026-03-28T12:00:00+03:00');
    expect(giftCardExpiry({ validityDays: 2 }, at).toISOString()).toBe('2026-03-30T09:00:00.000Z');
  });
});
