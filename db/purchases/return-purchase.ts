import type { z } from 'zod';
import { actorOf, type ApiPrincipal } from '../api-keys';
import type { ReturnRequest, returnAnswerSchema } from '../../engine/contracts/purchases';
import { DomainError } from '../../engine/errors';
import type { ReturnedUnits } from '../../engine/pricing/returns';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import { loadProgram } from '../programs';
import { restoreCoupons } from '../coupons/coupon-lifecycle';
import { lockPurchase } from './find-purchase';
import { couponHolder } from './purchase-coupons';
import { returnedUnits, reverseUnits, type StoredPurchase } from './reverse-units';

/**
 * The units a return takes back: per line, the first `quantity` units not returned yet (a weighted
 * line returns whole). Asking for more than is left is a 409 naming the item.
 */
function pickUnits(
  purchase: StoredPurchase,
  items: ReturnRequest['items'],
  done: ReadonlySet<string>,
): ReturnedUnits[] {
  const taken = new Set<string>();
  return items.map((item, i) => {
    const line = purchase.result.lines.find((l) => l.index === item.line);
    if (!line)
      throw new DomainError('unknown_line', `the purchase has no line ${item.line}`, 422, `items.${i}.line`);
    const left = line.units
      .map((_, u) => u)
      .filter((u) => !done.has(`${item.line}:${u}`) && !taken.has(`${item.line}:${u}`));
    const wanted = line.units.length === 1 ? 1 : item.quantity;
    if (left.length < wanted) {
      throw new DomainError(
        'return_exceeds_purchase',
        `line ${item.line} has ${left.length} unit(s) left to return`,
        409,
        `items.${i}.quantity`,
      );
    }
    const units = left.slice(0, wanted);
    units.forEach((u) => taken.add(`${item.line}:${u}`));
    return { line: item.line, units };
  });
}

/** An item-level return: reverses exactly what the returned units got, from the stored breakdown. */
export async function returnPurchase(
  trx: Trx,
  input: { principal: ApiPrincipal; request: ReturnRequest },
): Promise<z.infer<typeof returnAnswerSchema>> {
  const { principal, request } = input;
  const at = new Date(request.occurredAt);
  const purchase = await lockPurchase(trx, principal, request);
  if (purchase.status === 'cancelled') {
    throw new DomainError('purchase_cancelled', `purchase ${purchase.id} is cancelled`, 409, 'purchaseId');
  }
  const clash = await trx
    .selectFrom('purchase_returns')
    .select('id')
    .where('purchase_id', '=', purchase.id)
    .where('return_ref', '=', request.returnRef)
    .executeTakeFirst();
  if (clash)
    throw new DomainError(
      'return_exists',
      `return "${request.returnRef}" is recorded already`,
      409,
      'returnRef',
    );
  const done = await returnedUnits(trx, purchase.id);
  const units = pickUnits(purchase, request.items, done);
  const program = await loadProgram(trx, purchase.program_id);
  // The last unit back: the purchase no longer stands, so its promotion uses and coupons come back.
  const unitCount = purchase.result.lines.reduce((sum, l) => sum + l.units.length, 0);
  const last = done.size + units.reduce((sum, u) => sum + u.units.length, 0) === unitCount;
  const restore = program.settings.purchases.restoreCoupons;
  const consumed = purchase.result.coupons.consumed.map((c) => c.code);
  const actor = actorOf(principal);
  const { reversal, tier, balance } = await reverseUnits(trx, {
    program,
    purchase,
    units,
    alreadyReturned: done,
    at,
    actor,
    kind: 'return',
    releaseUses: last,
  });
  if (last && restore && consumed.length > 0) {
    await restoreCoupons(trx, {
      programId: program.id,
      holder: couponHolder(purchase.store_id, purchase.external_ref),
      codes: consumed,
      at,
    });
  }
  const row = await trx
    .insertInto('purchase_returns')
    .values({
      purchase_id: purchase.id,
      return_ref: request.returnRef,
      occurred_at: at,
      units: JSON.stringify(units),
      reversal: JSON.stringify(reversal),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(trx, {
    programId: program.id,
    actor,
    action: 'purchase.return',
    subject: `purchase:${purchase.id}`,
    changes: { returnRef: request.returnRef, units, refund: reversal.refund },
    occurredAt: at,
  });
  return {
    purchaseId: purchase.id,
    returnId: row.id,
    refund: reversal.refund,
    pointsTakenBack: reversal.clawback,
    pointsRestored: reversal.spentPointsRestored,
    debt: reversal.debt,
    writtenOff: reversal.writtenOff,
    deducted: reversal.deducted,
    customer:
      purchase.customer_id !== null && balance !== null ? { id: purchase.customer_id, tier, balance } : null,
  };
}
