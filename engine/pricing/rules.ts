import { z } from 'zod';
import { DomainError } from '../errors';
import { lotPolicySchema } from '../ledger/lot-policy';
import { periodSchema, purchaseScopeShape, type Period } from './counters';
import { lineFilterSchema, type LineFilter } from './line-filter';

/**
 * The pricing rule model: the one source of truth for the engine, the API and the back-office UI.
 * Integers everywhere: money in minor units of the check's currency, rates in basis points
 * (1 % = 100 bps, 100 % = 10 000 bps).
 */

const id = z.string().min(1).max(100);
const money = z.int().min(0).max(1_000_000_000_000);
const points = z.int().min(0).max(1_000_000_000_000);
/** A share of something: 0 … 100 %. */
const share = z.int().min(0).max(10_000);
/** An earning rate; above 100 % is allowed (points worth less than a minor unit). */
const rate = z.int().min(0).max(1_000_000);
const ids = z.array(id).min(1).max(10_000);

/** An instant with an explicit offset, e.g. 2026-05-10T12:00:00+03:00. */
const instant = z.iso.datetime({ offset: true });
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM');

export { lineFilterSchema, type LineFilter };

/** Purchases counted by a history condition: a period, optionally only in some stores or groups. */
interface PurchaseScope {
  period?: Period | undefined;
  storeIds?: string[] | undefined;
  storeGroupIds?: string[] | undefined;
}

/** Leaves of the eligibility tree. Each failing leaf is reported as `condition.<type>`. */
export type ConditionLeaf =
  | { type: 'store'; storeIds: string[] }
  /** The check's store belongs to one of the groups (the caller supplies the store's groups). */
  | { type: 'storeGroup'; groupIds: string[] }
  | { type: 'partner'; partnerIds: string[] }
  | { type: 'tier'; tiers: string[] }
  | { type: 'cardType'; cardTypes: string[] }
  | { type: 'segment'; segments: string[]; match?: 'any' | 'all' | undefined }
  /** The check's amount before discounts is at least `min`. */
  | { type: 'checkAmount'; min: number }
  /**
   * Lines matching `filter` hold at least `minQuantity` (pieces; grams for weighted goods; default 1);
   * lines outside promotions (`excluded`) do not count.
   */
  | { type: 'line'; filter: LineFilter; minQuantity?: number | undefined }
  /** The customer's birthday falls in the check's local month. */
  | { type: 'birthdayMonth' }
  /** The anniversary of a date answer (e.g. `wedding_date`) is at most `withinDays` days away (default 0). */
  | { type: 'answerDate'; key: string; withinDays?: number | undefined }
  /**
   * This check is the customer's n-th purchase in the scope (every n-th with `every`): the purchases
   * counted before it, plus one.
   */
  | ({ type: 'nthPurchase'; n: number; every?: boolean | undefined } & PurchaseScope)
  /** The customer bought at least once in the `withinDays` days before this check. */
  | { type: 'repeatPurchase'; withinDays: number }
  /** Purchases in the scope add up to at least `min` (this check included unless `includeCheck` is false). */
  | ({ type: 'accumulatedAmount'; min: number; includeCheck?: boolean | undefined } & PurchaseScope)
  /** The customer bought at least `minQuantity` (default 1) of the goods in the `withinDays` days before. */
  | { type: 'previousPurchase'; filter: LineFilter; withinDays: number; minQuantity?: number | undefined }
  /**
   * At least one item of a questionnaire group (default `children`) has an age in full years on the
   * check's local date within [minAge, maxAge], whose birthday is at most `birthdayWithinDays` days
   * before or after the local date, and equals `where` on the given fields.
   */
  | {
      type: 'groupItem';
      group?: string | undefined;
      birthDateKey?: string | undefined;
      minAge?: number | undefined;
      maxAge?: number | undefined;
      birthdayWithinDays?: number | undefined;
      where?: Record<string, string | number | boolean> | undefined;
    };

export type Condition =
  | { type: 'and'; all: Condition[] }
  | { type: 'or'; any: Condition[] }
  | { type: 'not'; not: Condition }
  | ConditionLeaf;

const age = z.int().min(0).max(200);
const days = z.int().min(0).max(183);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('and'), all: z.array(conditionSchema).min(1).max(100) }).strict(),
    z.object({ type: z.literal('or'), any: z.array(conditionSchema).min(1).max(100) }).strict(),
    z.object({ type: z.literal('not'), not: conditionSchema }).strict(),
    z.object({ type: z.literal('store'), storeIds: ids }).strict(),
    z.object({ type: z.literal('partner'), partnerIds: ids }).strict(),
    z.object({ type: z.literal('tier'), tiers: ids }).strict(),
    z.object({ type: z.literal('cardType'), cardTypes: ids }).strict(),
    z
      .object({ type: z.literal('segment'), segments: ids, match: z.enum(['any', 'all']).optional() })
      .strict(),
    z.object({ type: z.literal('storeGroup'), groupIds: ids }).strict(),
    z.object({ type: z.literal('checkAmount'), min: money }).strict(),
    z
      .object({
        type: z.literal('nthPurchase'),
        n: z.int().min(1).max(1_000_000),
        every: z.boolean().optional(),
        ...purchaseScopeShape,
      })
      .strict(),
    z.object({ type: z.literal('repeatPurchase'), withinDays: z.int().min(1).max(3660) }).strict(),
    z
      .object({
        type: z.literal('accumulatedAmount'),
        min: money,
        includeCheck: z.boolean().optional(),
        ...purchaseScopeShape,
      })
      .strict(),
    z
      .object({
        type: z.literal('previousPurchase'),
        filter: lineFilterSchema,
        withinDays: z.int().min(1).max(3660),
        minQuantity: z.int().min(1).max(1_000_000_000).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('line'),
        filter: lineFilterSchema,
        minQuantity: z.int().min(1).max(1_000_000_000).optional(),
      })
      .strict(),
    z.object({ type: z.literal('birthdayMonth') }).strict(),
    z
      .object({ type: z.literal('answerDate'), key: z.string().min(1).max(64), withinDays: days.optional() })
      .strict(),
    z
      .object({
        type: z.literal('groupItem'),
        group: z.string().min(1).max(64).optional(),
        birthDateKey: z.string().min(1).max(64).optional(),
        minAge: age.optional(),
        maxAge: age.optional(),
        birthdayWithinDays: days.optional(),
        where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .strict(),
  ]),
);

/**
 * What an applied rule does. Discounts change prices; earn, fixedPoints and multiplier give points;
 * redeemCap bounds how much of the check may be paid with points.
 */
export const benefitSchema = z.discriminatedUnion('kind', [
  /**
   * Percent off the target lines' current amount together, rounded half up once and spread over the
   * lines and their units by largest remainder.
   */
  z.object({ kind: z.literal('percent'), bps: share }).strict(),
  /** A fixed amount off the target lines together, spread over them by largest remainder. */
  z.object({ kind: z.literal('amountPerCheck'), amount: money }).strict(),
  /** A fixed amount off each target line. */
  z.object({ kind: z.literal('amountPerLine'), amount: money }).strict(),
  /** A fixed amount off each unit (a weighted line counts as one unit). */
  z.object({ kind: z.literal('amountPerUnit'), amount: money }).strict(),
  /** A promo price per unit (per kg for weighted goods); never raises a price. */
  z.object({ kind: z.literal('fixedPrice'), unitPrice: money }).strict(),
  /** Buy `buy`, pay `pay`: in each group of `buy` target units, dearest first, the cheapest are free. */
  z
    .object({ kind: z.literal('mForN'), buy: z.int().min(2).max(1000), pay: z.int().min(0).max(999) })
    .strict()
    .refine((b) => b.pay < b.buy, { message: 'pay must be below buy', path: ['pay'] }),
  /** Points = floor(discounted amount of the target lines × bps / 10 000). */
  z.object({ kind: z.literal('earn'), bps: rate }).strict(),
  /** A fixed number of points. */
  z.object({ kind: z.literal('fixedPoints'), points }).strict(),
  /**
   * Extra points: each listed earn rule that applied earns again on the lines this rule also targets,
   * so that the total is factor × its own (factorBps 20 000 = ×2).
   */
  z
    .object({ kind: z.literal('multiplier'), ruleIds: ids, factorBps: z.int().min(10_000).max(1_000_000) })
    .strict(),
  /** At most this share of the target lines' discounted amount may be paid with points. */
  z.object({ kind: z.literal('redeemCap'), bps: share }).strict(),
  /** Points for each target unit (a weighted line counts as one unit): points per sku. */
  z.object({ kind: z.literal('pointsPerUnit'), points }).strict(),
  /**
   * Quantity sets: "N of set A with M of set B". As many complete sets as the target lines allow are
   * formed, dearest units first; the units of an item get that item's `bps` off (rounded half up once,
   * on its units of all the sets, spread by largest remainder), or each set costs `setPrice` (never
   * more than its units' prices).
   */
  z
    .object({
      kind: z.literal('bundle'),
      items: z
        .array(
          z
            .object({ filter: lineFilterSchema, quantity: z.int().min(1).max(100), bps: share.optional() })
            .strict(),
        )
        .min(1)
        .max(10),
      setPrice: money.optional(),
      maxSets: z.int().min(1).max(10_000).optional(),
    })
    .strict()
    .refine((b) => (b.setPrice === undefined) !== b.items.every((i) => i.bps === undefined), {
      message: 'give either setPrice or bps on the discounted items',
      path: ['setPrice'],
    }),
  /** Issues coupons of a coupon issue at confirm, printed on the receipt. */
  z
    .object({ kind: z.literal('issueCoupon'), issueId: id, quantity: z.int().min(1).max(100).default(1) })
    .strict(),
  /** Only prints the rule's receipt message. */
  z.object({ kind: z.literal('message') }).strict(),
]);
export type Benefit = z.infer<typeof benefitSchema>;

export const conflictModeSchema = z.enum(['priority', 'max', 'stack']);
export type ConflictMode = z.infer<typeof conflictModeSchema>;

export const ruleSchema = z
  .object({
    id,
    name: z.string().trim().min(1).max(200),
    /** Higher wins in a `priority` group and is applied first; ties go to the lower id. */
    priority: z.int().min(-1_000_000).max(1_000_000).default(0),
    /**
     * Rules of one group compete: `priority` keeps the highest priority, `max` the largest effect
     * (discount in minor units, or points), `stack` keeps all. No group: the rule stacks. With scope
     * `line` the members compete on each line separately ("the best discount per item", "the best
     * points offer per item"): a rule applies on the lines it wins. Only benefits whose effect on a
     * line does not depend on the others can: percent, amount per line or unit, fixed price, earn,
     * points per unit.
     */
    conflict: z
      .object({ group: id, mode: conflictModeSchema, scope: z.enum(['check', 'line']).optional() })
      .strict()
      .optional(),
    /**
     * Share of customers (basis points, at most half) kept as a control group: they are evaluated but
     * get nothing from the rule, so reports can measure its uplift. Chosen from the customer id.
     */
    controlGroupBps: z.int().min(0).max(5000).default(0),
    /**
     * Absolute validity (from inclusive, to exclusive, compared with the evaluation instant) and
     * relative validity: `days` days from the customer's first purchase under this rule (`firstUse`),
     * or from when the customer's purchases in `period` first added up to `amount` (`amountReached`).
     */
    validity: z
      .object({
        from: instant.optional(),
        to: instant.optional(),
        relative: z
          .discriminatedUnion('from', [
            z.object({ from: z.literal('firstUse'), days: z.int().min(1).max(3660) }).strict(),
            z
              .object({
                from: z.literal('amountReached'),
                days: z.int().min(1).max(3660),
                amount: z.int().min(1).max(1_000_000_000_000),
                period: periodSchema.optional(),
              })
              .strict(),
          ])
          .optional(),
      })
      .strict()
      .optional(),
    /**
     * Usage limits and budgets. Uses count checks the rule applied to; the discount budget is in minor
     * units, the points budget in points; `total*` across all customers, `customer*` per customer. The
     * caller supplies what was used so far (`usage`, `customerUsage`) and re-checks under a lock.
     */
    limits: z
      .object({
        totalUses: z.int().min(1).optional(),
        customerUses: z.int().min(1).optional(),
        totalDiscount: money.optional(),
        customerDiscount: money.optional(),
        totalPoints: points.optional(),
        customerPoints: points.optional(),
      })
      .strict()
      .optional(),
    /** The rule needs a presented coupon of one of these coupon issues; applying it consumes one. */
    coupon: z.object({ issueIds: ids }).strict().optional(),
    /** Printed on the receipt when the rule applies, by language code (`ru`, `en` …). */
    receiptMessage: z.record(z.string().min(2).max(10), z.string().min(1).max(500)).optional(),
    /** Local schedule in the store's zone: ISO weekdays (1 = Monday) and half-open [from, to) windows. */
    schedule: z
      .object({
        weekdays: z.array(z.int().min(1).max(7)).min(1).max(7).optional(),
        windows: z
          .array(
            z
              .object({ from: hhmm, to: hhmm })
              .strict()
              .refine((w) => w.from < w.to, { message: 'from must be before to', path: ['to'] }),
          )
          .min(1)
          .max(24)
          .optional(),
      })
      .strict()
      .optional(),
    condition: conditionSchema.optional(),
    /** Which lines the benefit applies to; all lines when omitted. */
    target: lineFilterSchema.optional(),
    benefit: benefitSchema,
    /** Lifetime of the points this rule gives; else the card type's, else the program's (lotDates). */
    pointsLifetime: lotPolicySchema.optional(),
  })
  .strict()
  .refine((r) => r.conflict?.scope !== 'line' || LINE_SCOPED.has(r.benefit.kind), {
    message:
      'only percent, amountPerLine, amountPerUnit, fixedPrice, earn and pointsPerUnit compete per line',
    path: ['conflict', 'scope'],
  });

/** Benefits whose effect on a line does not depend on the other lines. */
const LINE_SCOPED = new Set<string>([
  'percent',
  'amountPerLine',
  'amountPerUnit',
  'fixedPrice',
  'earn',
  'pointsPerUnit',
]);

export type Rule = z.infer<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;

export type Phase = 'discount' | 'earn' | 'multiplier' | 'redeem' | 'reward';

/** The phase in which a benefit is computed; a conflict group holds rules of one phase. */
export function phaseOf(benefit: Benefit): Phase {
  switch (benefit.kind) {
    case 'earn':
    case 'fixedPoints':
    case 'pointsPerUnit':
      return 'earn';
    case 'issueCoupon':
    case 'message':
      return 'reward';
    case 'multiplier':
      return 'multiplier';
    case 'redeemCap':
      return 'redeem';
    default:
      return 'discount';
  }
}

/** Parses a rule set; the error names the first offending place (`rules.3.benefit.bps`). */
export function parseRules(input: unknown, field = 'rules'): Rule[] {
  const result = z.array(ruleSchema).safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = [field, ...issue.path.map(String)].join('.');
    throw new DomainError('invalid_rule', `${path}: ${issue.message}`, 422, path);
  }
  return result.data;
}
