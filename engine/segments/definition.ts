import { z } from 'zod';
import { code } from '../contracts/cards';
import { customerEventTypeSchema } from '../contracts/customer-event';

/**
 * A segment definition: an AND/OR/NOT tree of typed conditions over what the program knows of a
 * customer. The schema checks each condition's shape; `validateDefinition` (validate.ts) checks it
 * against the program (questionnaire fields and their types, tiers, other segments, cycles). The
 * compiler (db/segments/compile.ts) turns a valid tree into one SQL predicate per customer.
 */

/** A window or horizon in days: at least one day, at most ten years. */
export const windowDays = z.int().min(1).max(3660);
const days = z.int().min(0).max(36_600);
const amount = z.int().min(0).max(1_000_000_000_000_000);
const label = z.string().trim().min(1).max(200);
const strings = z.array(z.string().min(1).max(200)).min(1).max(1_000);
const codes = z.array(code).min(1).max(200);

/** A bound pair where at least one side is given and min ≤ max. */
function bounded<T extends z.ZodType<number>>(value: T) {
  return z
    .object({ min: value.optional(), max: value.optional() })
    .strict()
    .refine((r) => r.min !== undefined || r.max !== undefined, {
      message: 'give min, max or both',
      path: ['min'],
    })
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
      message: 'max must not be below min',
      path: ['max'],
    });
}

export const countRangeSchema = bounded(z.int().min(0).max(1_000_000_000));
export const amountRangeSchema = bounded(amount);
const ageRange = bounded(z.int().min(0).max(150));
const numberRange = bounded(z.number().finite());

/** Profile fields a segment may read, by their path in the customer's profile or columns. */
export const profileFields = [
  'gender',
  'maritalStatus',
  'locale',
  'timeZone',
  'firstName',
  'lastName',
  'address.country',
  'address.region',
  'address.city',
  'address.postalCode',
  'registrationChannel',
] as const;
export type ProfileField = (typeof profileFields)[number];

/**
 * A test of one answer (a questionnaire field, or a field of a group item). Exactly one test:
 * `answered` (given or not), `in` (choice, text, e-mail: one of the values; multi-choice: any of them),
 * `equals` (boolean), `range` (number), `age` (date: whole years on today's date), `dateRange`
 * (date: between two calendar dates).
 */
export const answerTestSchema = z
  .object({
    field: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a questionnaire key'),
    answered: z.boolean().optional(),
    in: strings.optional(),
    equals: z.boolean().optional(),
    range: numberRange.optional(),
    age: ageRange.optional(),
    dateRange: z
      .object({ from: z.iso.date().optional(), to: z.iso.date().optional() })
      .strict()
      .refine((r) => r.from !== undefined || r.to !== undefined, { message: 'give from, to or both' })
      .refine((r) => !r.from || !r.to || r.from <= r.to, {
        message: 'to must not be before from',
        path: ['to'],
      })
      .optional(),
  })
  .strict()
  .refine((t) => answerTests.filter((k) => t[k] !== undefined).length === 1, {
    message: 'give exactly one of answered, in, equals, range, age or dateRange',
    path: ['field'],
  });
export const answerTests = ['answered', 'in', 'equals', 'range', 'age', 'dateRange'] as const;
export type AnswerTest = z.infer<typeof answerTestSchema>;

/** What a purchase condition counts: purchases whose lines match, or the spend on those lines. */
export const purchaseFilterSchema = z
  .object({
    categories: strings.optional(),
    brands: strings.optional(),
    skus: strings.optional(),
    stores: codes.optional(),
    storeGroups: codes.optional(),
  })
  .strict();
export type PurchaseFilter = z.infer<typeof purchaseFilterSchema>;

/** A test of one property of an event, by its path (`total`, `items.0.sku` is not supported: top level or dotted objects). */
export const propertyTestSchema = z
  .object({
    property: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}$/, 'a property path'),
    in: strings.optional(),
    equals: z.boolean().optional(),
    range: numberRange.optional(),
  })
  .strict()
  .refine((t) => [t.in, t.equals, t.range].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of in, equals or range',
    path: ['property'],
  });
export type PropertyTest = z.infer<typeof propertyTestSchema>;

const leafSchemas = [
  z
    .object({
      type: z.literal('profile'),
      field: z.enum(profileFields),
      /** One of these values; absent: the field is filled in at all. */
      in: strings.optional(),
    })
    .strict(),
  z.object({ type: z.literal('age'), years: ageRange }).strict(),
  z.object({ type: z.literal('birthday'), withinDays: z.int().min(0).max(366) }).strict(),
  z
    .object({ type: z.literal('registered'), daysAgo: bounded(days) })
    .strict()
    .describe('days since registration: 24-hour days back from the evaluation'),
  z.object({ type: z.literal('questionnaire'), test: answerTestSchema }).strict(),
  z
    .object({
      type: z.literal('questionnaireGroup'),
      group: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a questionnaire group key'),
      /** Every test holds for an item that matches. */
      where: z.array(answerTestSchema).max(20).default([]),
      /** atLeastOne / all / none of the items match, or their number is in `count`. */
      quantifier: z.enum(['atLeastOne', 'all', 'none', 'count']),
      count: countRangeSchema.optional(),
    })
    .strict()
    .refine((c) => (c.quantifier === 'count') === (c.count !== undefined), {
      message: 'count is given with the count quantifier, and only then',
      path: ['count'],
    }),
  z
    .object({
      type: z.literal('purchases'),
      windowDays,
      /** The number of confirmed purchases, or the money spent (net of returns, minor units). */
      metric: z.enum(['count', 'amount']),
      range: amountRangeSchema,
      filter: purchaseFilterSchema.default({}),
    })
    .strict(),
  z
    .object({ type: z.literal('lastPurchase'), daysAgo: bounded(days) })
    .strict()
    .describe('days since the last confirmed purchase; customers who never bought do not match'),
  z
    .object({
      type: z.literal('event'),
      eventType: customerEventTypeSchema,
      windowDays,
      count: countRangeSchema.default({ min: 1 }),
      where: z.array(propertyTestSchema).max(20).default([]),
    })
    .strict(),
  z.object({ type: z.literal('tier'), tiers: codes }).strict(),
  z.object({ type: z.literal('cardType'), cardTypes: codes }).strict(),
  z.object({ type: z.literal('balance'), range: amountRangeSchema }).strict(),
  z.object({ type: z.literal('pointsExpiring'), withinDays: windowDays, range: amountRangeSchema }).strict(),
  z
    .object({
      type: z.literal('coupon'),
      issue: code,
      /** held: an active coupon of the issue; used: redeemed one within the window (any time without). */
      state: z.enum(['held', 'used']),
      windowDays: windowDays.optional(),
    })
    .strict(),
  z.object({ type: z.literal('segment'), segment: code }).strict(),
  z
    .object({
      type: z.literal('bucket'),
      /** Customers whose stable bucket 0–99 (a hash of the customer and the salt) lies in [from, to]. */
      from: z.int().min(0).max(99),
      to: z.int().min(0).max(99),
      salt: z.string().min(1).max(64).default('segment'),
    })
    .strict()
    .refine((b) => b.from <= b.to, { message: 'to must not be below from', path: ['to'] }),
  z.object({ type: z.literal('list'), list: code }).strict(),
] as const;

export type LeafCondition = z.infer<(typeof leafSchemas)[number]>;
export type Condition =
  | LeafCondition
  | { type: 'all'; conditions: Condition[] }
  | { type: 'any'; conditions: Condition[] }
  | { type: 'not'; condition: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('all'), conditions: z.array(conditionSchema).min(1).max(50) }).strict(),
    z.object({ type: z.literal('any'), conditions: z.array(conditionSchema).min(1).max(50) }).strict(),
    z.object({ type: z.literal('not'), condition: conditionSchema }).strict(),
    ...leafSchemas,
  ]),
) as z.ZodType<Condition>;

export const segmentDefinitionSchema = z
  .object({
    code,
    name: label,
    description: z.string().max(2000).optional(),
    condition: conditionSchema,
  })
  .strict();
export type SegmentDefinition = z.infer<typeof segmentDefinitionSchema>;

export type ConditionType = Condition['type'];

/** Each condition of a tree with its path from the root (`condition.conditions.0`), depth first. */
export function* walk(
  condition: Condition,
  path: (string | number)[] = ['condition'],
): Generator<{ condition: Condition; path: (string | number)[] }> {
  yield { condition, path };
  if (condition.type === 'all' || condition.type === 'any') {
    for (const [i, c] of condition.conditions.entries()) yield* walk(c, [...path, 'conditions', i]);
  } else if (condition.type === 'not') {
    yield* walk(condition.condition, [...path, 'condition']);
  }
}
