import { z } from 'zod';

export const componentHealthSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int(),
  detail: z.string().optional(),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  database: componentHealthSchema,
  temporal: componentHealthSchema,
  checkedAt: z.string(),
});

export type ComponentHealth = z.infer<typeof componentHealthSchema>;
export type Health = z.infer<typeof healthSchema>;
