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
  input: { programId: number; customerId: number; at: Date; ladder?: TierLadder | null },
): Promise<string | null> {
  const customer = await trx
    .selectFrom('customers')
    .select(['tier', 'tier_since'])
    .where('id', '=', input.customerId)
    .executeTakeFirstOrThrow();
  const ladder =
    input.ladder !== undefined ? input.ladder : ((await getTierLadder(trx, input.programId))?.ladder ?? null);
  if (!ladder || ladder.reviewPeriod !== 'on-purchase') return customer.tier;
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
