import { sql } from 'kysely';
import type { ProgramInfo } from '../programs';
import { lotDates } from '../../engine/ledger/lot-policy';
import type { EvaluationResult } from '../../engine/pricing/result';
import { reverseReturn, type ReturnedUnits, type ReturnReversal } from '../../engine/pricing/returns';
import { accruePoints, availablePoints, clawbackPoints, pointsBalance } from '../ledger/points';
import type { Trx } from '../ledger/store';
import { takeBackGiftCards } from './gift-card-lines';
import { addUsage, type UsageDelta } from './promotion-usage';
import { couponHolder } from './purchase-coupons';
import { reviewTierOnPurchase } from './tier-progress';

export interface StoredPurchase {
  id: number;
  program_id: number;
  store_id: number;
  external_ref: string;
  customer_id: number | null;
  /** The account holding the customer's points now (see `lockPurchase`), not the one it earned on. */
  points_account_id: number | null;
  status: 'confirmed' | 'cancelled';
  result: EvaluationResult;
  /** The check as evaluated: its lines say which sold a gift card (`excluded`). */
  check: { lines: { excluded?: boolean }[] };
  payments: { type: string; amount: number; giftCard?: { number: string } }[];
}

/** Units of the purchase already returned, as `line:unit` keys. */
export async function returnedUnits(trx: Trx, purchaseId: number): Promise<Set<string>> {
  const rows = await trx
    .selectFrom('purchase_returns')
    .select('units')
    .where('purchase_id', '=', purchaseId)
    .execute();
  return new Set(rows.flatMap((r) => r.units.flatMap((item) => item.units.map((u) => `${item.line}:${u}`))));
}

/**
 * Reverses units of a confirmed purchase from its stored breakdown: restores the points they were
 * paid with (per policy) before taking back the points they earned (debt, deducted from the refund or
 * written off per policy), gives the discount and points back to the promotions' budgets, marks the
 * lines returned for the purchase-history counters, and reviews the tier.
 */
export async function reverseUnits(
  trx: Trx,
  input: {
    program: ProgramInfo;
    purchase: StoredPurchase;
    units: ReturnedUnits[];
    alreadyReturned: ReadonlySet<string>;
    at: Date;
    actor: string;
    kind: 'return' | 'cancel';
    /** The purchase no longer stands (cancelled, or its last unit returned): its promotion uses come back. */
    releaseUses: boolean;
  },
): Promise<{ reversal: ReturnReversal; tier: string | null; balance: number | null }> {
  const { program, purchase, at } = input;
  const policy = program.settings.purchases;
  const accountId = purchase.points_account_id;
  // What the clawback can take from the lots now, for the policy to decide on.
  const available = accountId !== null ? await availablePoints(trx, accountId, at) : 0;
  const reversal = reverseReturn(purchase.result.lines, input.units, {
    alreadyReturned: input.alreadyReturned,
    restoreSpentPoints: policy.restoreSpentPoints,
    policy: policy.clawbackPolicy,
    available,
    pointValue: program.settings.conversionRate,
  });
  // Budgets first, then the account: the order confirm locks them in, so the two never deadlock.
  const ruleIds = new Set([...Object.keys(reversal.discounts), ...Object.keys(reversal.earnedPoints)]);
  if (input.releaseUses) {
    for (const e of purchase.result.explanations) if (e.status === 'applied') ruleIds.add(e.ruleId);
  }
  const deltas: UsageDelta[] = [...ruleIds].sort().map((ruleId) => ({
    ruleId,
    uses: input.releaseUses ? -1 : 0,
    discount: -(reversal.discounts[ruleId] ?? 0),
    points: -(reversal.earnedPoints[ruleId] ?? 0),
  }));
  // Only tracked rules have usage rows; the update leaves the others alone.
  await addUsage(trx, { programId: program.id, customerId: purchase.customer_id, deltas, at });
  const op = {
    programId: program.id,
    occurredAt: at,
    actor: input.actor,
    details: { purchaseId: purchase.id },
  };
  if (accountId !== null && reversal.spentPointsRestored > 0) {
    await accruePoints(trx, {
      ...op,
      accountId,
      amount: reversal.spentPointsRestored,
      lot: lotDates(at, { program: program.settings.pointsLifetime }),
      role: 'redemption',
      kind: `purchase.${input.kind}.restore`,
    });
  }
  if (accountId !== null && reversal.clawback > 0) {
    await clawbackPoints(trx, {
      ...op,
      accountId,
      amount: reversal.clawback,
      policy: policy.clawbackPolicy === 'write-off' ? 'write-off' : 'debt',
      kind: `purchase.${input.kind}.clawback`,
    });
  }
  await takeBackGiftCards(trx, {
    programId: program.id,
    holder: couponHolder(purchase.store_id, purchase.external_ref),
    lines: input.units.filter((u) => purchase.check.lines[u.line]?.excluded).map((u) => u.line),
    at,
    actor: input.actor,
  });
  let returnedAmount = 0;
  for (const item of input.units) {
    const line = purchase.result.lines.find((l) => l.index === item.line)!;
    if (!purchase.check.lines[item.line]?.excluded) {
      returnedAmount += item.units.reduce((sum, u) => sum + line.units[u]!.finalPrice, 0);
    }
    const pieces = line.units.length === 1 && item.units.length === 1 ? null : item.units.length;
    await trx
      .updateTable('purchase_lines')
      .set({
        returned_quantity:
          pieces === null ? sql`quantity` : sql`least(quantity, returned_quantity + ${pieces})`,
      })
      .where('purchase_id', '=', purchase.id)
      .where('line', '=', item.line)
      .execute();
  }
  await trx
    .updateTable('purchases')
    .set({ returned_amount: sql`returned_amount + ${returnedAmount}` })
    .where('id', '=', purchase.id)
    .execute();
  const tier =
    purchase.customer_id !== null
      ? await reviewTierOnPurchase(trx, { programId: program.id, customerId: purchase.customer_id, at })
      : null;
  // The answer is the balance as of the return, as the customer lookup gives it.
  const balance = accountId !== null ? (await pointsBalance(trx, accountId, at)).available : null;
  return { reversal, tier, balance };
}
