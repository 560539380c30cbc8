import { lotDates } from '../ledger/lot-policy';

/**
 * Whether a coupon may be used at a business time: the one rule the till API, the lifecycle commands
 * (db/coupons/coupon-lifecycle.ts) and the code lookup share. Pure: the caller reads the coupon, its
 * issue's limits and the uses that count against them.
 */

export type CouponKind = 'single_use' | 'promo_code';
export type CouponStatus = 'issued' | 'active' | 'reserved' | 'redeemed' | 'expired' | 'cancelled';

export const couponRefusals = [
  /** No such code in the program (or the coupon was cancelled). */
  'coupon_unknown',
  'coupon_not_active_yet',
  'coupon_expired',
  /** A single-use coupon already used. */
  'coupon_redeemed',
  /** Held by another purchase whose reservation has not expired. */
  'coupon_reserved',
  /** The issue's global or per-customer limit of uses is reached. */
  'coupon_limit_reached',
  /** The coupon was issued to another customer. */
  'coupon_customer_mismatch',
  /** The issue limits uses per customer, so an anonymous purchase cannot use it. */
  'coupon_customer_required',
] as const;
export type CouponRefusal = (typeof couponRefusals)[number];

export interface CouponSnapshot {
  kind: CouponKind;
  status: CouponStatus;
  /** The customer the coupon was issued to; null for pool codes and promo codes. */
  customerId: number | null;
  activatesAt: Date | null;
  expiresAt: Date | null;
  reservedBy: string | null;
  reservedUntil: Date | null;
  maxUsesTotal: number | null;
  maxUsesPerCustomer: number | null;
  /**
   * Uses of the coupon's issue that count against its limits at the time asked — redemptions and
   * unexpired reservations — without those of the asking holder.
   */
  usage: { total: number; byCustomer: number };
}

export interface CouponAsk {
  /** Business time. */
  at: Date;
  /** The purchase asking: its own reservation does not block it. */
  holder?: string | null;
  customerId: number | null;
}

export type CouponVerdict = { ok: true } | { ok: false; reason: CouponRefusal };

const refuse = (reason: CouponRefusal): CouponVerdict => ({ ok: false, reason });

/** Usable at `ask.at` by `ask.holder` for `ask.customerId`, else the first reason it is not. */
export function couponState(coupon: CouponSnapshot | null | undefined, ask: CouponAsk): CouponVerdict {
  if (!coupon || coupon.status === 'cancelled') return refuse('coupon_unknown');
  if (coupon.status === 'redeemed') return refuse('coupon_redeemed');
  const at = ask.at.getTime();
  if (coupon.status === 'expired' || (coupon.expiresAt && coupon.expiresAt.getTime() <= at)) {
    return refuse('coupon_expired');
  }
  if (coupon.activatesAt && coupon.activatesAt.getTime() > at) return refuse('coupon_not_active_yet');
  if (coupon.customerId !== null && coupon.customerId !== ask.customerId) {
    return refuse('coupon_customer_mismatch');
  }
  if (
    coupon.kind === 'single_use' &&
    coupon.reservedBy !== null &&
    coupon.reservedBy !== ask.holder &&
    coupon.reservedUntil !== null &&
    coupon.reservedUntil.getTime() > at
  ) {
    return refuse('coupon_reserved');
  }
  if (coupon.maxUsesPerCustomer !== null) {
    if (ask.customerId === null) return refuse('coupon_customer_required');
    if (coupon.usage.byCustomer >= coupon.maxUsesPerCustomer) return refuse('coupon_limit_reached');
  }
  if (coupon.maxUsesTotal !== null && coupon.usage.total >= coupon.maxUsesTotal) {
    return refuse('coupon_limit_reached');
  }
  return { ok: true };
}

/**
 * When a coupon issued at `issuedAt` becomes usable and stops being usable: after the issue's
 * activation delay, for its lifetime (none: until used).
 */
export function couponWindow(
  issue: { activationDelaySeconds: number; lifetimeSeconds: number | null },
  issuedAt: Date,
): { activatesAt: Date; expiresAt: Date | null } {
  // The same arithmetic as a points lot's window.
  return lotDates(issuedAt, { program: issue });
}
