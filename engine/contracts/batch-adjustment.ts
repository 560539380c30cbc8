import { z } from 'zod';
import { businessTimeSchema } from './customer-event';
import { identifierKindSchema } from './identifier';
import { authorStaffIdSchema } from './operations';

/** The largest CSV text accepted (characters): about 5 MB. */
export const maxBatchCsvLength = 5 * 1024 * 1024;

/** The largest number of data rows in one file. */
export const maxBatchRows = 100_000;

/** Largest absolute amount of one row, as for a single manual adjustment. */
export const maxBatchAmount = 1_000_000_000_000;

/** The columns a batch file may have, in any order; the first three are required. */
export const batchColumns = ['identifier_kind', 'identifier', 'amount', 'currency', 'reason'] as const;
export const requiredBatchColumns = ['identifier_kind', 'identifier', 'amount'] as const;
export type BatchColumn = (typeof batchColumns)[number];

export const adjustmentReasonSchema = z.string().trim().min(3).max(500);

export const batchAdjustmentSchema = z
  .object({
    csv: z
      .string()
      .min(1)
      .max(maxBatchCsvLength)
      .describe(
        'the file\'s text: a header line `identifier_kind,identifier,amount[,currency][,reason]` (any order, "," or ";"), then one row per adjustment; amount is a signed whole number, not 0',
      ),
    dryRun: z.boolean().describe('true: check and compute every row, then roll everything back'),
    staffId: authorStaffIdSchema,
    fileId: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe("the caller's name for the file: the same rows under another file id are another batch"),
    repeatOf: z
      .string()
      .max(200)
      .optional()
      .describe("the batchId of the file's latest application, to apply the same file again on purpose"),
    occurredAt: businessTimeSchema,
    reason: adjustmentReasonSchema.describe('the reason of every row that gives none'),
  })
  .strict();

export type BatchAdjustmentRequest = z.infer<typeof batchAdjustmentSchema>;

export const batchRowErrorSchema = z.object({
  line: z.number().int().describe('the line of the file (1 is the header line)'),
  column: z.string().optional().describe('the CSV column at fault, e.g. amount'),
  code: z.string().describe('e.g. invalid_amount, customer_not_found, insufficient_points'),
  message: z.string(),
});

export type BatchRowError = z.infer<typeof batchRowErrorSchema>;

export const batchPreviewRowSchema = z.object({
  line: z.number().int(),
  customerId: z.number().int(),
  identifierKind: identifierKindSchema,
  amount: z.number().int(),
  currency: z.string(),
  /** The points account's balance (lots less debt) just before and after this row. */
  balanceBefore: z.number().int(),
  balanceAfter: z.number().int(),
});

export type BatchPreviewRow = z.infer<typeof batchPreviewRowSchema>;

export const batchTotalsSchema = z.object({
  credit: z.number().int().describe('sum of the positive amounts of rows with a valid amount'),
  debit: z.number().int().describe('sum of the negative amounts, as a positive number'),
});

export type BatchTotals = z.infer<typeof batchTotalsSchema>;

export const batchAdjustmentResultSchema = z.object({
  dryRun: z.boolean(),
  applied: z.boolean().describe('true only when every row was valid and applied (never for a dry run)'),
  batchId: z
    .string()
    .describe(
      'batch:<first 16 hex digits of the sha-256 of the file id and parsed rows>, with /<n> for a repeat',
    ),
  rows: z.number().int().describe('data rows in the file'),
  totals: batchTotalsSchema,
  errors: z.array(batchRowErrorSchema).describe('every problem found, by line; empty when applied'),
  preview: z
    .array(batchPreviewRowSchema)
    .describe('the rows that did (or, in a dry run or a rejected file, would) apply, in file order'),
});

export type BatchAdjustmentResult = z.infer<typeof batchAdjustmentResultSchema>;
