import { z } from 'zod';
import { businessTimeSchema } from '../contracts/customer-event';
import { giftCardAmountSchema } from './gift-card-type';

/** The engine API's gift card requests and answers. */

const id = z.number().int().positive();
export const giftCardNumberSchema = z
  .string()
  .trim()
  .regex(/^\d{8,19}$/, '8 to 19 digits');
const reference = z.string().trim().min(1).max(200);
const pin = z.string().trim().min(1).max(32).describe('the PIN of an e-certificate');

export const giftCardTypeSchema = z.object({
  id,
  code: z.string(),
  name: z.string(),
  kind: z.enum(['plastic', 'electronic']),
  currency: z.string(),
  nominals: z.array(z.number().int()).nullable(),
  minAmount: z.number().int().nullable(),
  maxAmount: z.number().int().nullable(),
  validityDays: z.number().int(),
  numbers: z.object({ prefix: z.string(), length: z.number().int(), luhn: z.boolean() }),
  createdAt: z.string(),
});
export type GiftCardType = z.infer<typeof giftCardTypeSchema>;

export const issueGiftCardBatchSchema = z
  .object({ typeId: id, count: z.number().int().min(1).max(10_000) })
  .strict();

export const giftCardBatchSchema = z.object({
  batchId: id,
  typeId: id,
  count: z.number().int(),
  numbers: z.array(z.string()).describe('the numbers to print, in issue order'),
});

export const activateGiftCardSchema = z
  .object({
    number: giftCardNumberSchema.optional().describe('a plastic card from a printed batch'),
    typeId: id.optional().describe('an e-certificate type: a number and PIN are generated'),
    amount: giftCardAmountSchema.describe('minor units paid for the card'),
    saleReference: reference.describe('the sale line (check and line): one activation per reference'),
    occurredAt: businessTimeSchema,
  })
  .strict()
  .refine((b) => (b.number === undefined) !== (b.typeId === undefined), {
    message: 'give number (plastic) or typeId (e-certificate)',
    path: ['number'],
  });

export const giftCardSchema = z.object({
  number: z.string(),
  typeId: id,
  kind: z.enum(['plastic', 'electronic']),
  status: z.enum(['inactive', 'active', 'blocked', 'expired']).describe('at the time asked'),
  currency: z.string(),
  balance: z.number().int(),
  available: z.number().int().describe('what may be spent at the time asked'),
  activatedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export type GiftCardView = z.infer<typeof giftCardSchema>;

export const activatedGiftCardSchema = giftCardSchema.extend({
  entryId: id,
  pin: z
    .string()
    .optional()
    .describe(
      'e-certificates only: hand it to the buyer; in the first answer only, a replay answers without it',
    ),
});

export const spendGiftCardSchema = z
  .object({
    number: giftCardNumberSchema,
    pin: pin.optional(),
    amount: giftCardAmountSchema,
    holder: reference.describe(
      'what the money pays for (purchase, web order): one spend per card and holder',
    ),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const giftCardSpendSchema = z.object({
  spendId: id,
  entryId: id,
  number: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  balance: z.number().int().describe('left on the card'),
});

export const refundGiftCardSchema = z
  .object({
    holder: reference,
    number: giftCardNumberSchema.optional().describe('needed with amount when the holder used several cards'),
    amount: giftCardAmountSchema.optional().describe('everything not yet refunded if omitted'),
    reference: reference.optional().describe('one refund per spend and reference; the holder if omitted'),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const giftCardRefundSchema = z.object({
  amount: z.number().int().describe('given back in all'),
  items: z.array(
    z.object({
      number: z.string(),
      amount: z.number().int(),
      balance: z.number().int(),
      entryId: id,
    }),
  ),
});

export const blockGiftCardSchema = z
  .object({
    number: giftCardNumberSchema,
    reason: z.string().trim().min(3).max(500),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const unblockGiftCardSchema = blockGiftCardSchema;
