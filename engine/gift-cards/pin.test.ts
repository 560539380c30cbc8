import { describe, expect, it } from 'vitest';
import { giftCardPin, pinMatches } from './pin';

const key = Buffer.alloc(32, 7);

describe('e-certificate PINs', () => {
  it('derives 8 stable digits per number and checks them', () => {
    const pin = giftCardPin(key, '7700000000000001');
    expect(pin).toMatch(/^\d{8}$/);
    expect(giftCardPin(key, '7700000000000001')).toBe(pin);
    expect(giftCardPin(key, '7700000000000002')).not.toBe(pin);
    expect(giftCardPin(Buffer.alloc(32, 8), '7700000000000001')).not.toBe(pin);
    expect(pinMatches(key, '7700000000000001', ` ${pin} `)).toBe(true);
    expect(pinMatches(key, '7700000000000001', '00000000')).toBe(pin === '00000000');
    expect(pinMatches(key, '7700000000000001', pin.slice(1))).toBe(false);
  });
});
