import { describe, expect, it } from 'vitest';
import { couponState, couponWindow, type CouponAsk, type CouponSnapshot } from './coupon-state';

const at = new Date('2026-05-10T12:00:00+03:00');
const minutes = (n: number) => new Date(at.getTime() + n * 60_000);

const coupon = (over: Partial<CouponSnapshot> = {}): CouponSnapshot => ({
  kind: 'single_use',
  status: 'issued',
  customerId: null,
  activatesAt: minutes(-60),
  expiresAt: minutes(60),
  reservedBy: null,
  reservedUntil: null,
  maxUsesTotal: null,
  maxUsesPerCustomer: null,
  usage: { total: 0, byCustomer: 0 },
  ...over,
});
const ask: CouponAsk = { at, holder: 'purchase:1', customerId: 7 };
const reason = (c: CouponSnapshot | null, a = ask) => {
  const verdict = couponState(c, a);
  return verdict.ok ? 'ok' : verdict.reason;
};

describe('couponState', () => {
  it('accepts an issued or active coupon inside its window, open windows included', () => {
    expect(reason(coupon())).toBe('ok');
    expect(reason(coupon({ status: 'active' }))).toBe('ok');
    expect(reason(coupon({ activatesAt: null, expiresAt: null }))).toBe('ok');
    expect(reason(coupon({ activatesAt: at }))).toBe('ok');
  });

  it('refuses unknown, cancelled and redeemed coupons', () => {
    expect(reason(null)).toBe('coupon_unknown');
    expect(reason(coupon({ status: 'cancelled' }))).toBe('coupon_unknown');
    expect(reason(coupon({ status: 'redeemed' }))).toBe('coupon_redeemed');
  });

  it('knows activation and expiry at the business time: activates_at ≤ t < expires_at', () => {
    expect(reason(coupon({ activatesAt: minutes(1) }))).toBe('coupon_not_active_yet');
    expect(reason(coupon({ expiresAt: at }))).toBe('coupon_expired');
    expect(reason(coupon({ status: 'expired', expiresAt: null }))).toBe('coupon_expired');
    expect(reason(coupon({ expiresAt: minutes(1) }), { ...ask, at: minutes(2) })).toBe('coupon_expired');
  });

  it('blocks a reservation of another holder until it expires, never the holder itself', () => {
    const held = coupon({ status: 'reserved', reservedBy: 'purchase:2', reservedUntil: minutes(5) });
    expect(reason(held)).toBe('coupon_reserved');
    expect(reason(held, { ...ask, holder: 'purchase:2' })).toBe('ok');
    expect(reason(held, { ...ask, at: minutes(5) })).toBe('ok');
    expect(reason(held, { ...ask, holder: null })).toBe('coupon_reserved');
  });

  it('keeps a coupon issued to a customer for that customer', () => {
    expect(reason(coupon({ customerId: 8 }))).toBe('coupon_customer_mismatch');
    expect(reason(coupon({ customerId: 8 }), { ...ask, customerId: null })).toBe('coupon_customer_mismatch');
    expect(reason(coupon({ customerId: 7 }))).toBe('ok');
  });

  it('holds the per-customer and global limits of promo codes', () => {
    const promo = (usage: { total: number; byCustomer: number }) =>
      coupon({ kind: 'promo_code', maxUsesTotal: 100, maxUsesPerCustomer: 2, usage });
    expect(reason(promo({ total: 99, byCustomer: 1 }))).toBe('ok');
    expect(reason(promo({ total: 5, byCustomer: 2 }))).toBe('coupon_limit_reached');
    expect(reason(promo({ total: 100, byCustomer: 0 }))).toBe('coupon_limit_reached');
    expect(reason(promo({ total: 0, byCustomer: 0 }), { ...ask, customerId: null })).toBe(
      'coupon_customer_required',
    );
    const global = coupon({ kind: 'promo_code', maxUsesTotal: 1, usage: { total: 0, byCustomer: 0 } });
    expect(reason(global, { ...ask, customerId: null })).toBe('ok');
  });

  it('ignores the reservation columns of promo codes (their uses are counted instead)', () => {
    const promo = coupon({ kind: 'promo_code', reservedBy: 'purchase:2', reservedUntil: minutes(5) });
    expect(reason(promo)).toBe('ok');
  });
});

describe('couponWindow', () => {
  it('starts after the activation delay and lasts the lifetime', () => {
    expect(couponWindow({ activationDelaySeconds: 3600, lifetimeSeconds: 86_400 }, at)).toEqual({
      activatesAt: minutes(60),
      expiresAt: minutes(60 + 24 * 60),
    });
    expect(couponWindow({ activationDelaySeconds: 0, lifetimeSeconds: null }, at)).toEqual({
      activatesAt: at,
      expiresAt: null,
    });
  });
});
