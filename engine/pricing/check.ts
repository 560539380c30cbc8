import { z } from 'zod';
import { DomainError } from '../errors';
import type { Answers } from '../customers/questionnaire';

const money = z.int().min(0).max(1_000_000_000_000);
const id = z.string().min(1).max(100);

/**
 * A check line. Integer representation of quantities:
 * - piece goods (`weighted` false, the default): `quantity` is a number of pieces and `unitPrice` the
 *   price of one piece; the line has `quantity` units.
 * - weighted goods (`weighted` true): `quantity` is the weight in grams (thousandths of a kg, or of a
 *   litre) and `unitPrice` the price per kg; the line amount is round-half-up(quantity × unitPrice /
 *   1000) and the line is ONE unit for per-unit effects (amount per unit, M-for-N skips it).
 */
export const checkLineSchema = z
  .object({
    sku: id,
    name: z.string().max(300).default(''),
    /** Category path from the root, e.g. ["dairy", "milk"]. */
    category: z.array(z.string().min(1).max(200)).max(20).default([]),
    brand: id.optional(),
    supplier: id.optional(),
    quantity: z.int().min(1).max(100_000_000),
    weighted: z.boolean().default(false),
    unitPrice: money,
    /** The line may not be paid with points (tobacco, alcohol, gift cards …). */
    noRedemption: z.boolean().default(false),
    /**
     * Outside promotions altogether (a gift card sold): no rule targets it, it counts towards no
     * amount condition, earns nothing and may not be paid with points.
     */
    excluded: z.boolean().default(false),
  })
  .strict()
  .refine((l) => l.weighted || l.quantity <= 10_000, {
    message: 'at most 10 000 pieces per line',
    path: ['quantity'],
  });
export type CheckLine = z.infer<typeof checkLineSchema>;

export const checkSchema = z
  .object({
    lines: z.array(checkLineSchema).min(1).max(1000),
    storeId: id,
    /** The store's groups, filled by the caller from the store directory. */
    storeGroupIds: z.array(id).max(1000).default([]),
    partnerId: id.optional(),
    /** The wall-clock date-time in the store's zone: YYYY-MM-DDTHH:MM[:SS]. */
    localDateTime: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'YYYY-MM-DDTHH:MM[:SS]'),
    timeZone: z.string().min(1).max(64),
  })
  .strict();
export type Check = z.infer<typeof checkSchema>;
export type CheckInput = z.input<typeof checkSchema>;

const usageSchema = z
  .object({
    uses: z.int().min(0).default(0),
    discount: z.int().min(0).default(0),
    points: z.int().min(0).default(0),
  })
  .strict();

/** Who buys: everything the rules' conditions may ask about. */
export const customerContextSchema = z
  .object({
    /** Stable customer id; anonymous checks have none (and are never in a control group). */
    customerId: z.string().min(1).max(64).optional(),
    tier: id.optional(),
    cardType: id.optional(),
    segments: z.array(id).max(10_000).default([]),
    answers: z.record(z.string(), z.unknown()).default({}),
    /** YYYY-MM-DD. */
    birthDate: z.iso.date().optional(),
    /** Purchase-history counters by `counterKey` (see counters.ts); missing ones count as zero. */
    counters: z.record(z.string(), z.int()).default({}),
    pointsBalance: z.int().default(0),
    /** What each rule has used so far across all customers, for budgets and usage limits. */
    usage: z.record(id, usageSchema).default({}),
    /** What each rule has used so far for this customer, and when the customer first got it. */
    customerUsage: z
      .record(id, usageSchema.extend({ firstUsedAt: z.iso.datetime({ offset: true }).optional() }))
      .default({}),
    /** Coupons presented with the check. */
    coupons: z
      .array(z.object({ code: z.string().min(1).max(100), issueId: id }).strict())
      .max(100)
      .default([]),
    /** Language of receipt messages, e.g. `ru`; else the rule's first message. */
    language: z.string().min(2).max(10).optional(),
  })
  .strict();
export type CustomerContext = Omit<z.infer<typeof customerContextSchema>, 'answers'> & { answers: Answers };
export type CustomerContextInput = z.input<typeof customerContextSchema>;

function parse<T>(schema: z.ZodType<T>, input: unknown, field: string, code: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [field, ...issue.path.map(String)].join('.');
  throw new DomainError(code, `${path}: ${issue.message}`, 422, path);
}

export function parseCheck(input: unknown, field = 'check'): Check {
  return parse(checkSchema, input, field, 'invalid_check');
}

export function parseCustomerContext(input: unknown, field = 'customer'): CustomerContext {
  return parse(customerContextSchema, input, field, 'invalid_customer') as CustomerContext;
}

/** The line's amount before discounts, in minor units. */
export function lineAmount(line: Pick<CheckLine, 'quantity' | 'unitPrice' | 'weighted'>): number {
  if (!line.weighted) return line.quantity * line.unitPrice;
  return weightedAmount(line.quantity, line.unitPrice);
}

/** round-half-up(grams × pricePerKg / 1000). */
export function weightedAmount(grams: number, pricePerKg: number): number {
  const p = BigInt(grams) * BigInt(pricePerKg);
  return Number((p + 500n) / 1000n);
}

/** The prices of the line's units: `quantity` equal pieces, or one unit for weighted goods. */
export function unitPrices(line: Pick<CheckLine, 'quantity' | 'unitPrice' | 'weighted'>): number[] {
  return line.weighted ? [lineAmount(line)] : Array.from({ length: line.quantity }, () => line.unitPrice);
}
