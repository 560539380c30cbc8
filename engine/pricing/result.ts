import type { LotPolicy } from '../ledger/lot-policy';

/** What the engine answers for a check: per unit, per rule, and why each rule did or did not apply. */

export type Explanation =
  /** `limitedBy`: the budget that cut the rule's discount or points short. */
  | { ruleId: string; status: 'applied'; discount: number; points: number; limitedBy?: string }
  /**
   * `failed` names the first failing check: validity.from | validity.to | validity.relative,
   * schedule.weekday | schedule.time, condition.<leaf type> (condition.or / condition.not for those
   * nodes), coupon.not_presented, customer.anonymous (per-customer limits need a customer),
   * target.no_lines, benefit.base_not_applied (a multiplier whose earn rules did not apply).
   */
  | { ruleId: string; status: 'not_eligible'; failed: string }
  | { ruleId: string; status: 'beaten_by'; by: string }
  /** A usage limit or budget is used up: totalUses, customerUses, totalDiscount … */
  | { ruleId: string; status: 'budget_exhausted'; limit: string }
  /** Eligible, but the customer is in the rule's control group: nothing given. */
  | { ruleId: string; status: 'control_group' };

export interface UnitResult {
  /** Price before discounts. */
  price: number;
  /** Discount of each applied rule, in application order. */
  discounts: { ruleId: string; amount: number }[];
  /** The promotional price: price less the discounts. */
  finalPrice: number;
  /** The part of finalPrice paid with points (minor units) … */
  paidWithPoints: number;
  /** … and the points that paid it (spendPoints spread over units by largest remainder). */
  pointsSpent: number;
  /** The price on the fiscal receipt: finalPrice less paidWithPoints in `discount` mode, finalPrice in `tender` mode. */
  fiscalPrice: number;
  /** This unit's share of each rule's points (largest remainder over the rule's units). */
  points: { ruleId: string; points: number }[];
}

export interface LineResult {
  /** Position of the line in the input check; results come in input order. */
  index: number;
  sku: string;
  amount: number;
  discount: number;
  finalAmount: number;
  paidWithPoints: number;
  fiscalAmount: number;
  units: UnitResult[];
}

export interface PointsResult {
  ruleId: string;
  eligibleAmount: number;
  points: number;
  /** When the points become usable and how long they live: the rule's, else the card type's, else the program's. */
  lifetime?: LotPolicy;
}

export interface EvaluationResult {
  lines: LineResult[];
  amount: number;
  discount: number;
  finalAmount: number;
  /** finalAmount less the part paid with points. */
  payable: number;
  /** Points of each applied earning rule (earn, fixedPoints, pointsPerUnit, multiplier), in application order. */
  points: PointsResult[];
  totalPoints: number;
  redemption: {
    /** `discount`: points become a discount on the lines; `tender`: a payment line of `spentAmount`. */
    mode: 'discount' | 'tender';
    /** The applied redeemCap rule with the lowest cap; null: no cap rule applied, the whole eligible amount. */
    capRuleId: string | null;
    /** Final amount of the lines that may be paid with points. */
    eligibleAmount: number;
    maxAmount: number;
    /** min(balance, floor(maxAmount × points / cash)). */
    maxPoints: number;
    spentPoints: number;
    spentAmount: number;
  };
  coupons: {
    /** Presented coupons the applied rules used, one per rule. */
    consumed: { code: string; issueId: string; ruleId: string }[];
    /** Coupons to issue at confirm and print on the receipt. */
    issued: { ruleId: string; issueId: string; quantity: number }[];
  };
  /** Receipt messages of the applied rules, in application order, in the customer's language where given. */
  messages: { ruleId: string; text: string }[];
  /** One per rule (or per candidate when explainAll is false), in application order. */
  explanations: Explanation[];
}
