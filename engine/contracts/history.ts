import { z } from 'zod';
import { instantSchema } from './customer-event';
import { identifierSchema } from './identifier';

export const historyQuerySchema = z
  .object({
    customer: identifierSchema,
    /** Only operations made with this card (a number of the customer's). */
    card: z.string().min(4).max(40).optional(),
    kinds: z
      .array(z.string().min(1).max(32))
      .max(20)
      .optional()
      .describe('entry kinds: accrue, spend, adjust, …'),
    from: instantSchema.optional(),
    to: instantSchema.optional(),
    /** The `nextCursor` of the previous page (a journal line id). */
    cursor: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict();

export type HistoryQuery = z.infer<typeof historyQuerySchema>;

export const historyItemSchema = z.object({
  /** The journal line: one item per line, and the page's last one is its `nextCursor`. */
  lineId: z.number().int(),
  entryId: z.number().int(),
  kind: z.string(),
  occurredAt: z.string(),
  recordedAt: z.string(),
  accountKind: z.string(),
  currency: z.string(),
  amount: z.number().int(),
  actor: z.string(),
  reason: z.string().nullable(),
  storeId: z.number().int().nullable(),
  cardId: z.number().int().nullable(),
});

export const historyPageSchema = z.object({
  items: z.array(historyItemSchema),
  nextCursor: z.number().int().nullable(),
});

export const auditQuerySchema = z
  .object({
    customer: identifierSchema,
    cursor: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict();

export const auditPageSchema = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      actor: z.string(),
      action: z.string(),
      changes: z.record(z.string(), z.unknown()),
      occurredAt: z.string(),
      recordedAt: z.string(),
    }),
  ),
  nextCursor: z.number().int().nullable(),
});
