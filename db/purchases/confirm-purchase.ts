import { takeReceiptMessages } from '../messaging/receipts';
import { actorOf, type ApiPrincipal } from '../api-keys';
import type { ChangeFeed } from '../change-feed';
import type { ConfirmRequest, PurchaseAnswer } from '../../engine/contracts/purchases';
import { DomainError } from '../../engine/errors';
import { lotDates } from '../../engine/ledger/lot-policy';
import type { EvaluationResult } from '../../engine/pricing/result';
import { checkRedemptionToken } from '../../engine/purchases/redemption-token';
import { receiptText } from '../../engine/receipts/receipt-text';
import { customerAccount } from '../customers/accounts';
import { accruePoints, availablePoints, spendPoints } from '../ledger/points';
import { lockAccountWithCounter, type Trx } from '../ledger/store';
import { evaluatePurchase } from './evaluate-purchase';
import { addUsage, readUsage, type UsageDelta } from './promotion-usage';
import { sellGiftCards } from './gift-card-lines';
import { checkPayments, takePayments } from './payments';
import { couponHolder, refuseUnusableCoupons, settleCoupons } from './purchase-coupons';
import { loadPurchaseContext, type PurchaseContext } from './purchase-context';
import { recordPurchase } from './record-purchase';
import { reviewTierOnPurchase } from './tier-progress';

const appliedIds = (result: EvaluationResult) =>
  new Set(result.explanations.filter((e) => e.status === 'applied').map((e) => e.ruleId));

/**
 * Re-evaluates under the lock of the budgets the check uses: a rule that applied a moment ago but
 * whose budget or limit another till has used up since answers 409 `budget_exhausted`, so the till
 * recalculates instead of charging a different total.
 */
async function evaluateUnderBudgetLocks(trx: Trx, ctx: PurchaseContext, spend: number, at: Date) {
  const first = evaluatePurchase(ctx, spend, at);
  const tracked = new Set(ctx.compiled.trackedRuleIds);
  const used = [...appliedIds(first)].filter((id) => tracked.has(id)).sort();
  if (used.length === 0) return first;
  const locked = await readUsage(trx, {
    programId: ctx.program.id,
    ruleIds: used,
    customerId: ctx.customer?.id ?? null,
    lock: true,
  });
  ctx.context = {
    ...ctx.context,
    usage: { ...ctx.context.usage, ...locked.usage },
    customerUsage: { ...ctx.context.customerUsage, ...locked.customerUsage },
  };
  const second = evaluatePurchase(ctx, spend, at);
  for (const id of used) {
    const before = first.explanations.find((e) => e.ruleId === id);
    const now = second.explanations.find((e) => e.ruleId === id);
    const same =
      now?.status === 'applied' &&
      before?.status === 'applied' &&
      now.discount === before.discount &&
      now.points === before.points;
    if (!same) {
      throw new DomainError(
        'budget_exhausted',
        `the budget or limit of promotion "${id}" is used up`,
        409,
        id,
      );
    }
  }
  return second;
}

/**
 * Confirms a purchase in one transaction: evaluates the check (budgets locked and re-checked), writes
 * the purchase with its per-unit breakdown and lines, spends and earns points, counts promotion usage,
 * reviews the customer's tier, and takes the customer's due receipt messages for the receipt (not
 * offline: that receipt is printed already). `now` is the recording clock: for the redemption token
 * and the messages' delivery times.
 */
export async function confirmPurchase(
  trx: Trx,
  input: {
    principal: ApiPrincipal;
    request: ConfirmRequest;
    secret: string;
    now: Date;
    offline?: boolean;
    /** The process's cache of program, store and catalogue reads: confirm reads them before it writes. */
    feed?: ChangeFeed | undefined;
  },
): Promise<PurchaseAnswer> {
  const { principal, request } = input;
  const at = new Date(request.occurredAt);
  const ctx = await loadPurchaseContext(trx, principal, request, {
    holdCoupons: true,
    feed: input.feed,
  });
  // Offline, the till has charged already: the purchase stands without the coupons, reported.
  if (!input.offline) refuseUnusableCoupons(request.coupons, ctx.rejectedCoupons);
  const threshold = ctx.program.settings.purchases.redemptionCodeThreshold;
  if (ctx.customer && threshold !== null && request.spendPoints >= threshold) {
    const nonce = checkRedemptionToken(input.secret, request.redemptionToken, {
      customerId: ctx.customer.id,
      points: request.spendPoints,
      now: input.now,
    });
    // One code pays one purchase.
    const fresh = await trx
      .insertInto('redemption_token_uses')
      .values({ nonce, customer_id: ctx.customer.id })
      .onConflict((oc) => oc.column('nonce').doNothing())
      .returning('nonce')
      .executeTakeFirst();
    if (!fresh) {
      throw new DomainError(
        'redemption_code_required',
        'this redemption token was used already',
        403,
        'redemptionToken',
      );
    }
  }
  const result = await evaluateUnderBudgetLocks(trx, ctx, request.spendPoints, at);
  if (request.expectedFinalAmount !== undefined && request.expectedFinalAmount !== result.finalAmount) {
    throw new DomainError(
      'check_changed',
      `the final amount is ${result.finalAmount} now, not ${request.expectedFinalAmount}: calculate again`,
      409,
      'expectedFinalAmount',
    );
  }
  // Offline, the till has charged already: its payments stand even where the total differs now.
  const payments = input.offline ? request.payments : checkPayments(request.payments, result.payable);
  const customer = ctx.customer;
  const accountId = customer
    ? (customer.accountId ?? (await customerAccount(trx, customer.id, 'points', customer.currency)))
    : null;
  // Locked before the purchase row references it: that reference takes a key-share lock, which two
  // tills would otherwise both hold while waiting for each other's.
  // With the counter-account the purchase's accrual posts against, so the accrual need not lock again.
  const locked =
    accountId !== null ? await lockAccountWithCounter(trx, accountId, ctx.program.id, 'issuance') : null;
  const actor = actorOf(principal);
  const holder = couponHolder(ctx.store.id, request.externalRef);
  const recorded = await recordPurchase(trx, {
    holder,
    purchase: {
      program_id: ctx.program.id,
      store_id: ctx.store.id,
      customer_id: customer?.id ?? null,
      account_id: accountId,
      external_ref: request.externalRef,
      occurred_at: at,
      local_date_time: ctx.check.localDateTime,
      amount: result.amount,
      discount: result.discount,
      final_amount: result.finalAmount,
      qualifying_amount: result.lines
        .filter((line) => !ctx.check.lines[line.index]!.excluded)
        .reduce((sum, line) => sum + line.finalAmount, 0),
      points_spent: result.redemption.spentPoints,
      points_earned: result.totalPoints,
      rule_set_version: ctx.ruleSetVersion,
      offline: input.offline ?? false,
      check: JSON.stringify(ctx.check),
      result: JSON.stringify(result),
      payments: JSON.stringify([
        ...(result.redemption.spentPoints > 0
          ? [{ type: 'points', amount: result.redemption.spentAmount, points: result.redemption.spentPoints }]
          : []),
        ...payments,
      ]),
    },
    lines: result.lines.map((line) => {
      const l = ctx.check.lines[line.index]!;
      return {
        line: line.index,
        sku: l.sku,
        category: l.category,
        brand: l.brand ?? null,
        supplier: l.supplier ?? null,
        unit_price: l.unitPrice,
        quantity: l.quantity,
        weighted: l.weighted,
        final_amount: line.finalAmount,
        excluded: l.excluded,
      };
    }),
    audit: {
      actor,
      action: 'purchase.confirm',
      changes: {
        externalRef: request.externalRef,
        finalAmount: result.finalAmount,
        points: result.totalPoints,
      },
    },
  });
  if (recorded === undefined) {
    throw new DomainError(
      'purchase_exists',
      `check "${request.externalRef}" is recorded already`,
      409,
      'externalRef',
    );
  }
  if (recorded.moved) {
    // A merge or pool join committed while this confirm waited on the account: what it read is stale.
    throw new DomainError(
      'try_again',
      "the customer's points moved to another account (a merge or pool join) during this confirm; send it again",
      409,
      'customer',
    );
  }
  const purchaseId = recorded.id;
  await takePayments(trx, {
    programId: ctx.program.id,
    purchaseId,
    customerId: customer?.id ?? null,
    currency: ctx.program.currency,
    payments,
    at,
    actor,
  });
  const op = { programId: ctx.program.id, occurredAt: at, actor, details: { purchaseId } };
  /** The balance the last ledger operation left, so the answer needs no extra read. */
  let balance: number | null = null;
  if (accountId !== null && result.redemption.spentPoints > 0) {
    try {
      ({
        balance: { available: balance },
      } = await spendPoints(trx, {
        ...op,
        accountId,
        amount: result.redemption.spentPoints,
        kind: 'purchase.spend',
      }));
    } catch (error) {
      // Another till spent the points since they were read: refused as the engine refuses it.
      if (!(error instanceof DomainError) || error.code !== 'insufficient_points') throw error;
      throw new DomainError(error.code, error.message, 409, 'spendPoints');
    }
  }
  if (accountId !== null) {
    // One accrual per distinct lifetime (usually one).
    const byLifetime = new Map<
      string,
      { lifetime: (typeof result.points)[number]['lifetime']; points: number }
    >();
    for (const p of result.points) {
      const key = JSON.stringify(p.lifetime ?? null);
      const entry = byLifetime.get(key) ?? { lifetime: p.lifetime, points: 0 };
      entry.points += p.points;
      byLifetime.set(key, entry);
    }
    // The lock's view of the account holds until a ledger operation changes it (a spend, a first accrual).
    let unchanged = result.redemption.spentPoints === 0;
    for (const { lifetime, points } of byLifetime.values()) {
      if (points <= 0) continue;
      const asLocked = unchanged && locked ? { locked } : {};
      unchanged = false;
      ({
        balance: { available: balance },
      } = await accruePoints(trx, {
        ...op,
        accountId,
        amount: points,
        lot: lotDates(at, { program: lifetime ?? ctx.program.settings.pointsLifetime }),
        kind: 'purchase.earn',
        ...asLocked,
      }));
    }
  }
  const tracked = new Set(ctx.compiled.trackedRuleIds);
  const deltas: UsageDelta[] = result.explanations
    .filter((e) => e.status === 'applied' && tracked.has(e.ruleId))
    .map((e) => ({
      ruleId: e.ruleId,
      uses: 1,
      discount: e.status === 'applied' ? e.discount : 0,
      points: e.status === 'applied' ? e.points : 0,
    }));
  await addUsage(trx, { programId: ctx.program.id, customerId: customer?.id ?? null, deltas, at });
  const soldGiftCards = await sellGiftCards(trx, {
    programId: ctx.program.id,
    storeId: ctx.store.id,
    holder,
    lines: request.lines,
    at,
    actor,
  });
  const issuedCoupons = await settleCoupons(trx, {
    programId: ctx.program.id,
    holder,
    customerId: customer?.id ?? null,
    result,
    at,
    held: recorded.held,
  });
  const tier = customer
    ? await reviewTierOnPurchase(trx, {
        programId: ctx.program.id,
        customerId: customer.id,
        // A check sent late from an offline till is reviewed with everything bought since.
        at: input.offline ? new Date(Math.max(at.getTime(), input.now.getTime())) : at,
        ladder: ctx.ladder,
        storedTier: customer.storedTier,
      })
    : null;
  if (accountId !== null && balance === null) balance = await availablePoints(trx, accountId, at);
  // A check confirmed offline was printed at the till already: its receipt cannot carry messages.
  const messages =
    customer && !input.offline
      ? await takeReceiptMessages(trx, {
          customerId: customer.id,
          purchaseId,
          at,
          now: input.now,
          legalBasis: ctx.program.settings.messaging.legalBasis,
        })
      : [];
  return {
    purchaseId,
    customer: customer && balance !== null ? { id: customer.id, tier, balance } : null,
    result,
    issuedCoupons,
    soldGiftCards,
    rejectedCoupons: ctx.rejectedCoupons,
    receipt: receiptText({
      language: ctx.context.language ?? ctx.program.settings.defaultLanguage,
      result,
      balance,
      coupons: issuedCoupons,
    }).concat(messages),
  };
}
