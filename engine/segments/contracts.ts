import { z } from 'zod';
import { code } from '../contracts/cards';
import { identifierKindSchema } from '../contracts/identifier';
import { conditionSchema, segmentDefinitionSchema } from './definition';

/** The shapes of the segment API: what the back office sends and what it reads back. */

export const segmentInputSchema = segmentDefinitionSchema;
export const segmentUpdateSchema = segmentDefinitionSchema.omit({ code: true });

export const segmentSchema = z.object({
  code,
  name: z.string(),
  description: z.string().nullable(),
  version: z.int(),
  condition: conditionSchema,
  archivedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** When the membership was last computed in full, and how many it held then. */
  computedAt: z.string().nullable(),
  memberCount: z.int().nullable(),
});
export type Segment = z.infer<typeof segmentSchema>;

export const segmentVersionSchema = z.object({
  version: z.int(),
  name: z.string(),
  description: z.string().nullable(),
  condition: conditionSchema,
  actor: z.string(),
  createdAt: z.string(),
});

export const definitionIssueSchema = z.object({ field: z.string(), message: z.string() });

/** A definition checked against the program, with its live count when valid. */
export const segmentCheckSchema = z.object({
  valid: z.boolean(),
  issues: z.array(definitionIssueSchema),
  /** Customers the definition holds now (absent when invalid). */
  count: z.int().optional(),
  /** How long the count took (ms). */
  countMs: z.number().optional(),
});

export const segmentCountSchema = z.object({ count: z.int(), countMs: z.number(), at: z.string() });

export const segmentMemberSchema = z.object({
  customerId: z.int(),
  enteredAt: z.string(),
  displayName: z.string().nullable(),
});

export const segmentMembersPageSchema = z.object({
  members: z.array(segmentMemberSchema),
  /** Pass as `after` for the next page; null on the last. */
  next: z.int().nullable(),
});

export const segmentSampleSchema = z.object({
  customers: z.array(z.object({ customerId: z.int(), displayName: z.string().nullable() })),
});

/** A condition of a definition, whether it held for the customer, and the conditions under it. */
export interface ConditionOutcome {
  path: string;
  type: string;
  /** The condition in plain English ("spend in the last 90 days at least 50000"). */
  description: string;
  matched: boolean;
  children?: ConditionOutcome[];
}
export const conditionOutcomeSchema: z.ZodType<ConditionOutcome> = z.lazy(() =>
  z.object({
    path: z.string(),
    type: z.string(),
    description: z.string(),
    matched: z.boolean(),
    children: z.array(conditionOutcomeSchema).optional(),
  }),
) as z.ZodType<ConditionOutcome>;

export const customerSegmentSchema = z.object({
  segment: code,
  name: z.string(),
  /** Whether the definition holds for the customer now. */
  matches: z.boolean(),
  /** Whether the materialised membership holds the customer now, and since when. */
  member: z.boolean(),
  enteredAt: z.string().nullable(),
  conditions: conditionOutcomeSchema,
});

export const customerSegmentsSchema = z.object({
  customerId: z.int(),
  at: z.string(),
  segments: z.array(customerSegmentSchema),
});

export const staticListInputSchema = z
  .object({
    code,
    name: z.string().trim().min(1).max(200),
    /** Which identifier the CSV's first column holds. */
    identifierKind: identifierKindSchema,
    /** One identifier a line (a header line `identifier` is skipped); at most 1 000 000 lines. */
    csv: z.string().max(64_000_000),
    /** replace: the list becomes these customers; add: they are added to it. */
    mode: z.enum(['replace', 'add']).default('replace'),
  })
  .strict();

export const listUploadErrorSchema = z.object({
  /** The line of the CSV (1-based, as an editor numbers it). */
  line: z.int(),
  value: z.string(),
  message: z.string(),
});

/** A static list upload and its progress: the back office polls it until `done` or `failed`. */
export const listUploadSchema = z.object({
  id: z.int(),
  code,
  name: z.string(),
  identifierKind: identifierKindSchema,
  mode: z.enum(['replace', 'add']),
  /** queued: stored, waiting for the worker; running: resolving lines; done: applied to the list. */
  status: z.enum(['queued', 'running', 'done', 'failed']),
  /** Lines with an identifier, and how many of them are resolved so far. */
  rowsTotal: z.int(),
  rowsDone: z.int(),
  /** What applying the upload did to the list (null until done). */
  added: z.int().nullable(),
  removed: z.int().nullable(),
  members: z.int().nullable(),
  /** Lines that named no customer, or several, or were not a valid identifier: all of them... */
  errorCount: z.int(),
  /** ...and the first 1 000 of them, in line order. */
  errors: z.array(listUploadErrorSchema),
  /** Why a failed upload failed. */
  failure: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const segmentListSchema = z.object({
  code,
  name: z.string(),
  members: z.int(),
  createdAt: z.string(),
  /** The newest upload to the list, whatever its status. */
  lastUpload: z
    .object({ id: z.int(), status: z.enum(['queued', 'running', 'done', 'failed']), createdAt: z.string() })
    .nullable(),
});
