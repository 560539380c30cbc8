import type { Kysely } from 'kysely';
import { normalizeCode } from '../../engine/coupons/code-pattern';
import { DomainError } from '../../engine/errors';
import type { EvaluationResult } from '../../engine/pricing/result';
import { issueCouponsForPurchase } from '../coupons/coupon-issuance';
import {
  checkCoupons,
  redeemCoupons,
  releaseCoupons,
  reserveCoupons,
  type CouponOutcome,
} from '../coupons/coupon-lifecycle';
import type { Database } from '../schema';

/** Coupons at the till: presented ones checked or held for the check, used, released, and new ones issued. */

/** The reference coupons are held and used under: the store's check. */
export const couponHolder = (storeId: number, externalRef: string) => `check:${storeId}:${externalRef}`;

export interface PresentedCoupons {
  usable: { code: string; issueId: string }[];
  rejected: { code: string; reason: string }[];
}

function split(outcomes: CouponOutcome[]): PresentedCoupons {
  const out: PresentedCoupons = { usable: [], rejected: [] };
  for (const o of outcomes) {
    if (o.ok) out.usable.push({ code: o.code, issueId: o.issueId });
    else out.rejected.push({ code: o.code, reason: o.reason });
  }
  return out;
}

/**
 * The presented coupons the check may use, judged for the check's customer. With a holder (a check the
 * till names) they are reserved for it until `ttlSeconds` pass, so two tills cannot use one coupon;
 * without one they are only checked, by the same rules.
 */
export async function presentCoupons(
  db: Kysely<Database>,
  input: {
    programId: number;
    codes: readonly string[];
    customerId: number | null;
    at: Date;
    holder: string | null;
    ttlSeconds: number;
  },
): Promise<PresentedCoupons> {
  if (input.codes.length === 0) return { usable: [], rejected: [] };
  const ask = {
    programId: input.programId,
    codes: [...input.codes],
    customerId: input.customerId,
    at: input.at,
  };
  // Both judge each coupon for this check's customer as confirm will (coupon-state.ts).
  if (input.holder !== null) {
    return split(await reserveCoupons(db, { ...ask, holder: input.holder, ttlSeconds: input.ttlSeconds }));
  }
  return split(await checkCoupons(db, ask));
}

/**
 * Refuses a confirm whose presented coupon cannot be used, naming it, so the till does not charge the
 * check without it: 409 `coupon_already_used` when another check redeemed or holds it (the loser of
 * a race for it), 409 `coupon_limit_reached`, else 422 with the refusal's code.
 */
export function refuseUnusableCoupons(
  codes: readonly string[],
  rejected: PresentedCoupons['rejected'],
): void {
  const first = rejected[0];
  if (first === undefined) return;
  const field = `coupons.${codes.findIndex((code) => normalizeCode(code) === first.code)}`;
  if (first.reason === 'coupon_redeemed' || first.reason === 'coupon_reserved') {
    throw new DomainError(
      'coupon_already_used',
      `coupon ${first.code} is used or held by another check`,
      409,
      field,
    );
  }
  const status = first.reason === 'coupon_limit_reached' ? 409 : 422;
  throw new DomainError(first.reason, `coupon ${first.code} cannot be used: ${first.reason}`, status, field);
}

/**
 * At confirm: the coupons the applied rules consumed are redeemed, the other reservations of the
 * check released; coupons the promotions issue are generated for the customer to print.
 */
export async function settleCoupons(
  db: Kysely<Database>,
  input: {
    programId: number;
    holder: string;
    customerId: number | null;
    result: EvaluationResult;
    at: Date;
    /** The coupons the holder holds, as this transaction read them (record-purchase.ts). */
    held: string[];
  },
): Promise<{ code: string; issueId: string; expiresAt: string | null }[]> {
  const consumed = input.result.coupons.consumed.map((c) => c.code);
  // The consumed ones stay reserved for the redemption below (this confirm reserved them just now).
  await releaseCoupons(db, {
    programId: input.programId,
    holder: input.holder,
    at: input.at,
    codes: input.held.filter((code) => !consumed.includes(code)),
  });
  if (consumed.length > 0) {
    const outcomes = await redeemCoupons(db, {
      programId: input.programId,
      holder: input.holder,
      codes: consumed,
      customerId: input.customerId,
      at: input.at,
    });
    const refused = outcomes.find((o) => !o.ok);
    if (refused && !refused.ok) {
      throw new DomainError('coupon_refused', `coupon ${refused.code}: ${refused.reason}`, 409, 'coupons');
    }
  }
  const issued = [];
  if (input.customerId !== null) {
    for (const grant of input.result.coupons.issued) {
      const coupons = await issueCouponsForPurchase(db, {
        programId: input.programId,
        customerId: input.customerId,
        issueCode: grant.issueId,
        quantity: grant.quantity,
        holder: input.holder,
        at: input.at,
      });
      issued.push(
        ...coupons.map((c) => ({
          code: c.display,
          issueId: c.issueId,
          expiresAt: c.expiresAt?.toISOString() ?? null,
        })),
      );
    }
  }
  return issued;
}

/**
 * Cancels the coupons a purchase issued that have not been used, when the purchase is cancelled;
 * used ones stay (the customer got their benefit in good faith). Returns how many were cancelled.
 */
export async function voidIssuedCoupons(
  db: Kysely<Database>,
  input: { programId: number; holder: string; at: Date },
): Promise<number> {
  const rows = await db
    .updateTable('coupons')
    .set({ status: 'cancelled' })
    .where('program_id', '=', input.programId)
    .where('issued_by', '=', input.holder)
    .where('status', 'in', ['issued', 'active'])
    .where('uses', '=', 0)
    .returning('id')
    .execute();
  return rows.length;
}
