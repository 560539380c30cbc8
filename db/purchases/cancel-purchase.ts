import type { z } from 'zod';
import { actorOf, type ApiPrincipal } from '../api-keys';
import type { CancelRequest, cancelAnswerSchema } from '../../engine/contracts/purchases';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import { loadProgram } from '../programs';
import { lockPurchase } from './find-purchase';
import { releaseCoupons } from '../coupons/coupon-lifecycle';
import { refundPayments } from './payments';
import { couponHolder, voidIssuedCoupons } from './purchase-coupons';
import { returnedUnits, reverseUnits } from './reverse-units';

/**
 * Cancels a confirmed purchase: everything not returned yet is reversed as a return would (so a cancel
 * after a partial return reverses only the rest), and the purchase stops counting.
 */
export async function cancelPurchase(
  trx: Trx,
  input: { principal: ApiPrincipal; request: CancelRequest; now: Date },
): Promise<z.infer<typeof cancelAnswerSchema>> {
  const { principal, request } = input;
  const at = new Date(request.occurredAt);
  const purchase = await lockPurchase(trx, principal, request);
  if (purchase.status === 'cancelled') {
    throw new DomainError(
      'purchase_cancelled',
      `purchase ${purchase.id} is cancelled already`,
      409,
      'purchaseId',
    );
  }
  const done = await returnedUnits(trx, purchase.id);
  const units = purchase.result.lines
    .map((line) => ({
      line: line.index,
      units: line.units.map((_, u) => u).filter((u) => !done.has(`${line.index}:${u}`)),
    }))
    .filter((item) => item.units.length > 0);
  const program = await loadProgram(trx, purchase.program_id);
  const actor = actorOf(principal);
  const { reversal, tier, balance } = await reverseUnits(trx, {
    program,
    purchase: { ...purchase, status: 'cancelled' },
    units,
    alreadyReturned: done,
    at,
    actor,
    kind: 'cancel',
    releaseUses: true,
  });
  await releaseCoupons(trx, {
    programId: program.id,
    holder: couponHolder(purchase.store_id, purchase.external_ref),
    at,
  });
  const toTill = await refundPayments(trx, {
    programId: program.id,
    purchaseId: purchase.id,
    customerId: purchase.customer_id,
    currency: program.currency,
    payments: purchase.payments,
    amount: reversal.refund,
    at,
    actor,
  });
  await voidIssuedCoupons(trx, {
    programId: program.id,
    holder: couponHolder(purchase.store_id, purchase.external_ref),
    at,
  });
  await trx
    .updateTable('purchases')
    .set({ status: 'cancelled', cancelled_at: at, cancel_recorded_at: input.now })
    .where('id', '=', purchase.id)
    .execute();
  await recordAudit(trx, {
    programId: program.id,
    actor,
    action: 'purchase.cancel',
    subject: `purchase:${purchase.id}`,
    changes: { reason: request.reason ?? null, refund: reversal.refund },
    occurredAt: at,
  });
  return {
    purchaseId: purchase.id,
    status: 'cancelled',
    refund: toTill,
    pointsTakenBack: reversal.clawback,
    pointsRestored: reversal.spentPointsRestored,
    customer:
      purchase.customer_id !== null && balance !== null ? { id: purchase.customer_id, tier, balance } : null,
  };
}
