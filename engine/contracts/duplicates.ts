import { z } from 'zod';
import { businessTimeSchema } from './customer-event';

const customerId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** The review queue of duplicate candidates, or the candidates of one customer when `customerId` is given. */
export const duplicateSearchSchema = z
  .object({
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^[0-9a-f]{16}$/, 'a nextCursor of an earlier answer')
      .optional()
      .describe('nextCursor of the previous page'),
    customerId: customerId.optional().describe('only the groups this customer belongs to'),
  })
  .strict();

export type DuplicateSearch = z.infer<typeof duplicateSearchSchema>;

export const duplicateKeyKindSchema = z.enum(['phone', 'email', 'name-dob']);

/** One customer as a reviewer sees it: names and birth date, contacts masked. */
export const duplicateCustomerSchema = z.object({
  id: z.number().int(),
  status: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  middleName: z.string().nullable(),
  birthDate: z.string().nullable(),
  phones: z.array(z.string()).describe('masked: +7 916 ***-**-67'),
  emails: z.array(z.string()).describe('masked: a***@example.com'),
  registeredAt: z.string(),
});

export const duplicateGroupSchema = z.object({
  id: z.string().describe('opaque and stable: the same key gives the same id'),
  kind: duplicateKeyKindSchema.describe('what the customers share'),
  customers: z.array(duplicateCustomerSchema),
});

export const duplicateSearchResultSchema = z.object({
  groups: z.array(duplicateGroupSchema),
  nextCursor: z.string().nullable(),
});

export type DuplicateSearchResult = z.infer<typeof duplicateSearchResultSchema>;

/** A top-level profile field name, as fieldChoices names it. */
const profileKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a top-level profile field name');

export const mergeCustomersSchema = z
  .object({
    survivorId: customerId.describe('the customer who stays'),
    mergedId: customerId.describe('the customer merged into the survivor; marked "merged" afterwards'),
    fieldChoices: z
      .record(profileKey, z.enum(['survivor', 'merged']))
      .default({})
      .describe('for every profile field both customers fill differently: whose value the survivor keeps'),
    occurredAt: businessTimeSchema,
  })
  .strict();

export type MergeCustomersRequest = z.infer<typeof mergeCustomersSchema>;

export const movedAccountSchema = z.object({
  fromAccountId: z.number().int(),
  toAccountId: z.number().int(),
  kind: z.string(),
  currency: z.string(),
  /** What the merge entry moved (the old account's projection); 0 when no entry was needed. */
  balance: z.number().int(),
  lots: z.number().int(),
  debt: z.number().int(),
  entryId: z.number().int().nullable(),
});

export const mergeMovedSchema = z.object({
  identifiers: z.number().int(),
  /** The merged customer's identifiers the survivor already had (same kind and value): dropped. */
  identifiersDropped: z.number().int(),
  cards: z.number().int(),
  accounts: z.array(movedAccountSchema),
  /** Customers the merged one had referred, now referred by the survivor. */
  referrals: z.number().int(),
  /** The merged customer's coupons, now the survivor's. */
  coupons: z.number().int(),
  /** Purchases whose history (counters, tier spend, promotion usage) now counts for the survivor. */
  purchases: z.number().int(),
});

export type MergeMoved = z.infer<typeof mergeMovedSchema>;

export const mergeCustomersResultSchema = z.object({
  survivorId: z.number().int(),
  mergedId: z.number().int(),
  moved: mergeMovedSchema,
});

export type MergeCustomersResult = z.infer<typeof mergeCustomersResultSchema>;
