import { z } from 'zod';
import { cardNumberTemplateSchema } from '../cards/number-template';
import { lotPolicySchema } from '../ledger/lot-policy';
import { businessTimeSchema } from './customer-event';
import { identifierSchema } from './identifier';

/** A code naming a card type, tier or the like: lower-case, URL- and file-safe. */
export const code = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "_" or "-"');
const cardNumber = z
  .string()
  .trim()
  .regex(/^\d{8,19}$/, '8 to 19 digits');

export const createCardTypeSchema = z
  .object({ code, name: z.string().trim().min(1).max(200), lotPolicy: lotPolicySchema.optional() })
  .strict();

export const createCardTemplateSchema = z
  .object({ cardTypeId: z.number().int().positive(), code, template: cardNumberTemplateSchema })
  .strict();

export const issueCardPoolSchema = z
  .object({
    templateId: z.number().int().positive(),
    count: z.number().int().min(1).max(5_000_000),
    virtual: z.boolean().default(false),
  })
  .strict();

export const cardStatusChangeSchema = z
  .object({
    card: cardNumber,
    status: z.enum(['active', 'blocked', 'closed', 'completed']),
    reason: z.string().trim().min(1).max(500).optional(),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const bindCardSchema = z
  .object({ customer: identifierSchema, card: cardNumber, occurredAt: businessTimeSchema })
  .strict();

export const replaceCardSchema = z
  .object({
    card: cardNumber.describe('the lost or damaged card'),
    newCard: cardNumber.optional().describe('a new card from a pool'),
    virtualTemplateId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('or: issue a virtual card from this template'),
    reason: z.string().trim().min(3).max(500),
    occurredAt: businessTimeSchema,
  })
  .strict()
  .refine((r) => (r.newCard === undefined) !== (r.virtualTemplateId === undefined), {
    message: 'give exactly one of newCard or virtualTemplateId',
    path: ['newCard'],
  });

export const issueVirtualCardSchema = z
  .object({
    customer: identifierSchema,
    templateId: z.number().int().positive(),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const idResultSchema = z.object({ id: z.number().int() });
export const cardTemplateResultSchema = z.object({ id: z.number().int(), maxIssuable: z.number().int() });
export const cardPoolResultSchema = z.object({
  poolId: z.number().int(),
  inserted: z.number().int(),
  ms: z.number().int(),
});
export const cardStatusResultSchema = z.object({ cardId: z.number().int(), status: z.string() });
export const cardResultSchema = z.object({ cardId: z.number().int(), number: z.string() });
export const replaceCardResultSchema = z.object({
  oldCardId: z.number().int(),
  newCardId: z.number().int(),
  newNumber: z.string(),
  customerId: z.number().int(),
});
