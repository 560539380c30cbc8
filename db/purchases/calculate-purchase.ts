import type { Kysely } from 'kysely';
import type { ApiPrincipal } from '../api-keys';
import type { ChangeFeed } from '../change-feed';
import type { CalculateRequest, PurchaseAnswer } from '../../engine/contracts/purchases';
import { receiptText } from '../../engine/receipts/receipt-text';
import type { Database } from '../schema';
import { evaluatePurchase } from './evaluate-purchase';
import { loadPurchaseContext } from './purchase-context';

/**
 * A dry run of a purchase: what the check would get (discounts, points, the most that may be paid
 * with points, coupons, messages), written nowhere but for holding the presented coupons for the check
 * when the till names it. The receipt shows the balance as it would be.
 */
export async function calculatePurchase(
  db: Kysely<Database>,
  input: { principal: ApiPrincipal; request: CalculateRequest; feed?: ChangeFeed | undefined },
): Promise<PurchaseAnswer> {
  const at = new Date(input.request.occurredAt);
  // Holding coupons writes: then the reading happens in a transaction.
  const hold = input.request.externalRef !== undefined && input.request.coupons.length > 0;
  const load = (q: Kysely<Database>) =>
    loadPurchaseContext(q, input.principal, input.request, {
      holdCoupons: hold,
      feed: input.feed,
    });
  const ctx = hold ? await db.transaction().execute(load) : await load(db);
  const result = evaluatePurchase(ctx, input.request.spendPoints, at);
  const balance = ctx.customer
    ? ctx.customer.available - result.redemption.spentPoints + result.totalPoints
    : null;
  return {
    purchaseId: null,
    customer:
      ctx.customer && balance !== null ? { id: ctx.customer.id, tier: ctx.customer.tier, balance } : null,
    result,
    issuedCoupons: [],
    soldGiftCards: [],
    rejectedCoupons: ctx.rejectedCoupons,
    receipt: receiptText({
      language: ctx.context.language ?? ctx.program.settings.defaultLanguage,
      result,
      balance,
      coupons: [],
    }),
  };
}
