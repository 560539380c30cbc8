import { z } from 'zod';
import { businessTimeSchema, instantSchema } from './customer-event';
import { identifierSchema } from './identifier';

const points = z.number().int().positive().max(1_000_000_000_000);
const currency = z
  .string()
  .min(1)
  .max(32)
  .optional()
  .describe('points currency code; the program default if omitted');

export const accrueSchema = z
  .object({
    customer: identifierSchema,
    amount: points,
    currency,
    occurredAt: businessTimeSchema,
    reason: z.string().max(500).optional(),
  })
  .strict();

export const spendSchema = accrueSchema;

/** Who ordered an adjustment: never trusted, only checked against the key's own staff user. */
export const authorStaffIdSchema = z
  .number()
  .int()
  .positive()
  .optional()
  .describe("optional; if sent, the key's own staff user: the author is always the key's principal");

export const adjustSchema = z
  .object({
    customer: identifierSchema,
    amount: z
      .number()
      .int()
      .min(-1_000_000_000_000)
      .max(1_000_000_000_000)
      .refine((n) => n !== 0, 'must not be zero'),
    currency,
    occurredAt: businessTimeSchema,
    reason: z.string().trim().min(3).max(500),
    staffId: authorStaffIdSchema,
  })
  .strict();

export const transferSchema = z
  .object({
    from: identifierSchema,
    to: identifierSchema,
    amount: points,
    currency,
    occurredAt: businessTimeSchema,
    reason: z.string().max(500).optional(),
  })
  .strict();

export const convertSchema = z
  .object({
    customer: identifierSchema,
    direction: z.enum(['cash-to-points', 'points-to-cash']),
    amount: points.describe('minor units of cash, or points, per direction'),
    currency,
    occurredAt: businessTimeSchema,
  })
  .strict();

export const topUpSchema = z
  .object({
    customer: identifierSchema,
    amount: points.describe('minor units'),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const lookupSchema = z
  .object({ customer: identifierSchema, at: instantSchema.optional(), currency })
  .strict();

export const balanceSchema = z.object({
  currency: z.string(),
  balance: z.number().int(),
  available: z.number().int(),
  pending: z.number().int(),
  expired: z.number().int(),
  debt: z.number().int(),
});

export const operationResultSchema = z.object({
  entryId: z.number().int(),
  customerId: z.number().int(),
  amount: z.number().int(),
  balance: balanceSchema,
});

export const transferResultSchema = z.object({
  entryId: z.number().int(),
  from: balanceSchema,
  to: balanceSchema,
});

export const convertResultSchema = z.object({
  cash: z.number().int(),
  points: z.number().int(),
  cashBalance: z.number().int(),
  balance: balanceSchema,
});

export const topUpResultSchema = z.object({ entryId: z.number().int(), cashBalance: z.number().int() });

export const lookupResultSchema = z.object({
  customerId: z.number().int(),
  status: z.string(),
  referralCode: z.string(),
  points: balanceSchema,
  cashBalance: z.number().int(),
});
