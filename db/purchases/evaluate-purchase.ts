import { evaluateCheck } from '../../engine/pricing/evaluate';
import type { EvaluationResult } from '../../engine/pricing/result';
import { DomainError } from '../../engine/errors';
import type { PurchaseContext } from './purchase-context';

/** Evaluates the check of a purchase context with the program's points policies. */
export function evaluatePurchase(ctx: PurchaseContext, spendPoints: number, at: Date): EvaluationResult {
  if (spendPoints > 0 && ctx.customer === null) {
    throw new DomainError(
      'customer_required',
      'an anonymous check cannot be paid with points',
      422,
      'spendPoints',
    );
  }
  const policy = ctx.program.settings.purchases;
  return evaluateCheck(ctx.compiled, ctx.check, ctx.context, at, {
    conversionRate: ctx.program.settings.conversionRate,
    spendPoints,
    redemptionMode: policy.redemptionMode,
    earnOnRedeemed: policy.earnOnRedeemed,
    // An anonymous check gets the promotions, not points.
    earning: ctx.customer !== null,
    pointsLifetime: {
      cardType: ctx.customer?.cardTypeLifetime,
      program: ctx.program.settings.pointsLifetime,
    },
    explainAll: false,
  });
}
