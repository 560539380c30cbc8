import { z } from 'zod';
import { lotPolicySchema } from '../ledger/lot-policy';

/**
 * What the engine answers for a check: per unit, per rule, and why each rule did or did not apply.
 * Zod schemas, so the API documents and validates the same shapes.
 */

const int = z.int();

export const explanationSchema = z.discriminatedUnion('status', [
  /** `limitedBy`: the budget that cut the rule's discount or points short. */
  z.object({
    ruleId: z.string(),
    status: z.literal('applied'),
    discount: int,
    points: int,
    limitedBy: z.string().optional(),
  }),
  /**
   * `failed` names the first failing check: validity.from | validity.to | validity.relative,
   * schedule.weekday | schedule.time, condition.<leaf type> (condition.or / condition.not for those
   * nodes), coupon.not_presented, customer.anonymous (per-customer limits need a customer),
   * target.no_lines, benefit.base_not_applied (a multiplier whose earn rules did not apply). A rule
   * that would give nothing does not apply (takes no coupon, counts no use, wins no group):
   * benefit.nothing_to_discount (its lines are free already), benefit.incomplete_set (too few units
   * for a quantity set or M-for-N), benefit.price_not_lower (a promo or set price not below the
   * price), benefit.no_discount (a discount that rounds to nothing), benefit.no_points (no points).
   */
  z.object({ ruleId: z.string(), status: z.literal('not_eligible'), failed: z.string() }),
  z.object({ ruleId: z.string(), status: z.literal('beaten_by'), by: z.string() }),
  /** A usage limit or budget is used up: totalUses, customerUses, totalDiscount … */
  z.object({ ruleId: z.string(), status: z.literal('budget_exhausted'), limit: z.string() }),
  /** Eligible, but the customer is in the rule's control group: nothing given. */
  z.object({ ruleId: z.string(), status: z.literal('control_group') }),
]);
export type Explanation = z.infer<typeof explanationSchema>;

export const unitResultSchema = z.object({
  /** Price before discounts. */
  price: int,
  /** Discount of each applied rule, in application order. */
  discounts: z.array(z.object({ ruleId: z.string(), amount: int })),
  /** The promotional price: price less the discounts. */
  finalPrice: int,
  /** The part of finalPrice paid with points (minor units) … */
  paidWithPoints: int,
  /** … and the points that paid it (spendPoints spread over units by largest remainder). */
  pointsSpent: int,
  /** The price on the fiscal receipt: less paidWithPoints in `discount` mode, finalPrice in `tender` mode. */
  fiscalPrice: int,
  /** This unit's share of each rule's points (largest remainder over the rule's units). */
  points: z.array(z.object({ ruleId: z.string(), points: int })),
});
export type UnitResult = z.infer<typeof unitResultSchema>;

export const lineResultSchema = z.object({
  /** Position of the line in the input check; results come in input order. */
  index: int,
  sku: z.string(),
  amount: int,
  discount: int,
  finalAmount: int,
  paidWithPoints: int,
  fiscalAmount: int,
  units: z.array(unitResultSchema),
});
export type LineResult = z.infer<typeof lineResultSchema>;

export const pointsResultSchema = z.object({
  ruleId: z.string(),
  eligibleAmount: int,
  points: int,
  /** When the points become usable and how long they live: the rule's, else the card type's, else the program's. */
  lifetime: lotPolicySchema.optional(),
});
export type PointsResult = z.infer<typeof pointsResultSchema>;

export const evaluationResultSchema = z.object({
  lines: z.array(lineResultSchema),
  amount: int,
  discount: int,
  finalAmount: int,
  /** finalAmount less the part paid with points. */
  payable: int,
  /** Points of each applied earning rule (earn, fixedPoints, pointsPerUnit, multiplier), in application order. */
  points: z.array(pointsResultSchema),
  totalPoints: int,
  redemption: z.object({
    /** `discount`: points become a discount on the fiscal receipt; `tender`: a payment line of `spentAmount`. */
    mode: z.enum(['discount', 'tender']),
    /** The applied redeemCap rule with the lowest cap; null: no cap rule applied, the whole eligible amount. */
    capRuleId: z.string().nullable(),
    /** Final amount of the lines that may be paid with points. */
    eligibleAmount: int,
    maxAmount: int,
    /** min(balance, floor(maxAmount × points / cash)). */
    maxPoints: int,
    spentPoints: int,
    spentAmount: int,
  }),
  coupons: z.object({
    /** Presented coupons the applied rules used, one per rule. */
    consumed: z.array(z.object({ code: z.string(), issueId: z.string(), ruleId: z.string() })),
    /** Coupons to issue at confirm and print on the receipt. */
    issued: z.array(z.object({ ruleId: z.string(), issueId: z.string(), quantity: int })),
  }),
  /** Receipt messages of the applied rules, in application order, in the customer's language where given. */
  messages: z.array(z.object({ ruleId: z.string(), text: z.string() })),
  /** One per rule (or per candidate when explainAll is false), in application order. */
  explanations: z.array(explanationSchema),
});
export type EvaluationResult = z.infer<typeof evaluationResultSchema>;
