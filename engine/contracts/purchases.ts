import { z } from 'zod';
import { lineAmount } from '../pricing/check';
import { evaluationResultSchema } from '../pricing/result';
import { businessTimeSchema } from './customer-event';
import { identifierSchema } from './identifier';

/** The till's purchase API: calculate → confirm → cancel, and item-level returns. */

const money = z.int().min(0).max(1_000_000_000_000);
const ref = z.string().trim().min(1).max(100);

/**
 * What one check may add up to, in minor units (a billion in the program currency): an amount times
 * a rate in basis points, and every sum of shares the engine spreads, stays an exact integer (< 2^53).
 */
export const maxCheckAmount = 100_000_000_000;

/** A check line as a till sends it; attributes it omits are filled from the catalogue. */
export const purchaseLineSchema = z
  .object({
    sku: z.string().min(1).max(100),
    name: z.string().max(300).optional(),
    category: z.array(z.string().min(1).max(200)).max(20).optional(),
    brand: z.string().min(1).max(100).optional(),
    supplier: z.string().min(1).max(100).optional(),
    /** Pieces, or grams for weighted goods. */
    quantity: z.int().min(1).max(100_000_000),
    weighted: z.boolean().optional(),
    /** Per piece, or per kg for weighted goods; minor units. */
    unitPrice: money,
    noRedemption: z.boolean().optional(),
    /**
     * A gift card sold on this line (one piece at `unitPrice`): a plastic card by number or a new
     * e-certificate of a type. Outside promotions; activated at confirm, taken back on cancel or return.
     */
    giftCard: z
      .object({ number: ref.optional(), typeId: z.int().min(1).optional() })
      .strict()
      .refine((g) => (g.number === undefined) !== (g.typeId === undefined), {
        message: 'give number or typeId',
        path: ['number'],
      })
      .optional(),
  })
  .strict()
  .refine((l) => lineAmount({ ...l, weighted: l.weighted ?? false }) <= maxCheckAmount, {
    message: `quantity × unitPrice may come to at most ${maxCheckAmount} minor units`,
    path: ['unitPrice'],
  })
  .refine((l) => !l.giftCard || (l.quantity === 1 && !l.weighted), {
    message: 'a gift card line sells one card',
    path: ['quantity'],
  });
export type PurchaseLine = z.infer<typeof purchaseLineSchema>;

export const calculateRequestSchema = z
  .object({
    /** Any identifier of the customer; none for an anonymous check (promotions apply, no points). */
    customer: identifierSchema.optional(),
    /** The store, when the API key is not bound to one. */
    storeCode: ref.optional(),
    /** The till's time of the check, with its offset. */
    occurredAt: businessTimeSchema,
    lines: z
      .array(purchaseLineSchema)
      .min(1)
      .max(1000)
      .refine(
        (lines) =>
          lines.reduce((sum, l) => sum + lineAmount({ ...l, weighted: l.weighted ?? false }), 0) <=
          maxCheckAmount,
        {
          message: `the lines may come to at most ${maxCheckAmount} minor units`,
        },
      )
      .describe(`the check's lines; together at most ${maxCheckAmount} minor units`),
    /** Points the customer pays with. */
    spendPoints: z.int().min(0).max(1_000_000_000).default(0),
    /** Coupon codes presented. */
    coupons: z.array(z.string().trim().min(1).max(100)).max(20).default([]),
    /** The till's id of the check: with it, presented coupons are held for this check until confirm. */
    externalRef: ref.optional(),
  })
  .strict();
export type CalculateRequest = z.infer<typeof calculateRequestSchema>;

export const paymentTypeSchema = z.enum(['cash', 'card', 'giftCard', 'cashAccount']);

/** Money the customer pays beside points; together they must equal what is left to pay. */
export const paymentSchema = z
  .object({
    type: paymentTypeSchema,
    amount: money,
    /** For `giftCard`: the card's number and, for e-certificates, its PIN. */
    giftCard: z
      .object({ number: ref, pin: z.string().min(1).max(32).optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((p) => (p.type === 'giftCard') === (p.giftCard !== undefined), {
    message: 'giftCard is given with, and only with, type giftCard',
    path: ['giftCard'],
  });
export type Payment = z.infer<typeof paymentSchema>;

/** The confirm route: also the idempotency operation of checks synced from offline tills. */
export const confirmPath = '/v1/purchases/confirm';

export const confirmRequestSchema = calculateRequestSchema
  .extend({
    /** The till's id of the check: one purchase per store and ref. */
    externalRef: ref,
    payments: z.array(paymentSchema).max(20).default([]),
    /** From POST /v1/purchases/redemption-code/verify, when the program asks for a code to spend points. */
    redemptionToken: z.string().min(1).max(500).optional(),
    /** The final amount the till showed; a different one (rules or budgets changed) answers 409. */
    expectedFinalAmount: money.optional(),
  })
  .strict();
export type ConfirmRequest = z.infer<typeof confirmRequestSchema>;

/**
 * Checks a till confirmed while offline, sent later: each with the Idempotency-Key it would have had
 * online and its original time. Each is confirmed on its own; one refused does not stop the others.
 */
export const syncRequestSchema = z
  .object({
    checks: z
      .array(
        z
          .object({
            idempotencyKey: z.string().min(8).max(128),
            check: confirmRequestSchema,
          })
          .strict(),
      )
      .min(1)
      .max(500),
  })
  .strict();
export type SyncRequest = z.infer<typeof syncRequestSchema>;

export const syncAnswerSchema = z.object({
  results: z.array(
    z.object({
      externalRef: z.string(),
      status: z.enum(['confirmed', 'replayed', 'rejected']),
      purchaseId: z.int().nullable(),
      /** Coupons the till accepted offline that were used up elsewhere: the purchase stands without them. */
      rejectedCoupons: z.array(z.object({ code: z.string(), reason: z.string() })),
      /** What the till charged less what the platform computes now (rules or coupons that no longer held). */
      difference: z.int(),
      error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).nullable(),
    }),
  ),
});

/** Ask for a one-time code to spend points: sent to the customer's phone (or e-mail). */
export const redemptionCodeRequestSchema = z
  .object({ customer: identifierSchema, channel: z.enum(['phone', 'email']).default('phone') })
  .strict();

/** The code the customer read out; on success a token that lets confirm spend up to `points`. */
export const redemptionCodeVerifySchema = z
  .object({
    customer: identifierSchema,
    channel: z.enum(['phone', 'email']).default('phone'),
    code: z.string().trim().min(4).max(12),
    points: z.int().min(1).max(1_000_000_000),
  })
  .strict();

export const redemptionCodeAnswerSchema = z.object({
  result: z.enum(['ok', 'wrong', 'expired', 'locked', 'consumed', 'no_code']),
  attemptsLeft: z.int(),
  /** Present on success: carry it as `redemptionToken` in confirm within 10 minutes. */
  redemptionToken: z.string().optional(),
});

/** A purchase by its id, or by the till's ref in the key's store (or `storeCode`). */
export const purchaseRefSchema = z
  .object({
    purchaseId: z.int().min(1).optional(),
    externalRef: ref.optional(),
    storeCode: ref.optional(),
  })
  .strict();

export const cancelRequestSchema = purchaseRefSchema
  .extend({ occurredAt: businessTimeSchema, reason: z.string().trim().min(1).max(500).optional() })
  .strict();
export type CancelRequest = z.infer<typeof cancelRequestSchema>;

export const returnRequestSchema = purchaseRefSchema
  .extend({
    /** The till's id of the return document: one return per purchase and ref. */
    returnRef: ref,
    occurredAt: businessTimeSchema,
    /** Returned quantity per line of the purchase (pieces; a weighted line returns whole). */
    items: z
      .array(z.object({ line: z.int().min(0), quantity: z.int().min(1).max(10_000) }).strict())
      .min(1)
      .max(1000),
  })
  .strict();
export type ReturnRequest = z.infer<typeof returnRequestSchema>;

export const customerSummarySchema = z.object({
  id: z.int(),
  tier: z.string().nullable(),
  /** Spendable points after the operation. */
  balance: z.int(),
});

export const purchaseAnswerSchema = z.object({
  /** Null for calculate. */
  purchaseId: z.int().nullable(),
  customer: customerSummarySchema.nullable(),
  result: evaluationResultSchema,
  /** Coupons issued by the purchase, to print. */
  issuedCoupons: z.array(
    z.object({ code: z.string(), issueId: z.string(), expiresAt: z.string().nullable() }),
  ),
  /** Gift cards sold by the purchase's lines, activated (an e-certificate's PIN shown once). */
  soldGiftCards: z.array(
    z.object({
      line: z.int(),
      number: z.string(),
      pin: z.string().optional(),
      expiresAt: z.string().nullable(),
    }),
  ),
  /** Presented coupons that cannot be used, and why (coupon_expired, coupon_reserved …). */
  rejectedCoupons: z.array(z.object({ code: z.string(), reason: z.string() })),
  receipt: z.array(z.string()),
});
export type PurchaseAnswer = z.infer<typeof purchaseAnswerSchema>;

export const returnAnswerSchema = z.object({
  purchaseId: z.int(),
  returnId: z.int(),
  /** Money to give back to the customer. */
  refund: z.int(),
  pointsTakenBack: z.int(),
  pointsRestored: z.int(),
  debt: z.int(),
  writtenOff: z.int(),
  deducted: z.int(),
  customer: customerSummarySchema.nullable(),
});

export const cancelAnswerSchema = z.object({
  purchaseId: z.int(),
  status: z.literal('cancelled'),
  refund: z.int(),
  pointsTakenBack: z.int(),
  pointsRestored: z.int(),
  customer: customerSummarySchema.nullable(),
});
