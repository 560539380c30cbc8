import { z } from 'zod';

/** The one error shape every engine-API response with status >= 400 has. */
export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('machine-readable code, e.g. validation_failed, idempotency_conflict'),
    message: z.string(),
    field: z.string().optional().describe('the failing field as a dotted path, e.g. body.occurredAt'),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
  requestId: z.string(),
});

export type ApiError = z.infer<typeof apiErrorSchema>;
