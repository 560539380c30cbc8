import type { TierLadder } from '../../engine/contracts/tier-ladder';
import { reviewTier } from '../../engine/tiers/review';
import type { Trx } from '../ledger/store';
import { qualifyingSpend } from '../tiers/qualifying-spend';
import { getTierLadder } from '../tiers/tier-ladder';

/**
 * Reviews a customer's tier after a purchase, a return or a cancel when the ladder reviews on every
 * purchase: the qualifying spend is the customer's confirmed purchases (net of returns) in the window
 * ending at `at`. Periodic reviews happen elsewhere. Returns the tier now held.
 */
export async function reviewTierOnPurchase(
  trx: Trx,
  input: {
    programId: number;
    customerId: number;
    at: Date;
    ladder?: TierLadder | null;
    /**
     * The tier stored for the customer as the caller read it in this transaction: answered as it is
     * when the ladder does not review on purchases, sparing a read. A review reads it afresh.
     */
    storedTier?: string | null;
  },
): Promise<string | null> {
  const ladder =
    input.ladder !== undefined ? input.ladder : ((await getTierLadder(trx, input.programId))?.ladder ?? null);
  const reviews = ladder?.reviewPeriod === 'on-purchase';
  if (!reviews && input.storedTier !== undefined) return input.storedTier;
  const customer = await trx
    .selectFrom('customers')
    .select(['tier', 'tier_since'])
    .where('id', '=', input.customerId)
    .executeTakeFirstOrThrow();
  if (!ladder || !reviews) return customer.tier;
  const row = await qualifyingSpend(trx, {
    programId: input.programId,
    at: input.at,
    months: ladder.window.months,
  })
    .where('customer_id', '=', input.customerId)
    .executeTakeFirst();
  const spend = row?.spend ?? 0;
  const tier = reviewTier(
    ladder,
    { tier: customer.tier, since: customer.tier_since },
    Number(spend),
    input.at,
  );
  if (tier !== customer.tier) {
    await trx
      .updateTable('customers')
      .set({ tier, tier_since: input.at })
      .where('id', '=', input.customerId)
      .execute();
  }
  return tier;
}
