import { z } from 'zod';

/**
 * Promotion rule sets as the API carries them. The rules themselves are checked by the pricing
 * engine (parseRules, compileRules), so their errors name the exact place: `rules.3.benefit.bps`.
 */

export const maxRulesPerSet = 50_000;
const rules = z.array(z.unknown()).max(maxRulesPerSet).describe('rules of engine/pricing/rules.ts');
const version = z.number().int().positive();

export const createRuleSetSchema = z
  .object({ rules, note: z.string().trim().min(1).max(1000).optional() })
  .strict();
export const validateRuleSetSchema = z.object({ rules }).strict();
export const ruleSetVersionSchema = z.object({ version }).strict();

export const ruleSetStatusSchema = z.enum(['draft', 'published', 'archived']);

export const ruleSetSummarySchema = z.object({
  version,
  status: ruleSetStatusSchema,
  ruleCount: z.number().int(),
  note: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
});
export type RuleSetSummary = z.infer<typeof ruleSetSummarySchema>;

export const ruleSetSchema = ruleSetSummarySchema.extend({ rules: z.array(z.unknown()) });
export type RuleSet = z.infer<typeof ruleSetSchema>;

export const ruleSetValidationSchema = z.object({ valid: z.literal(true), ruleCount: z.number().int() });

export const publishResultSchema = z.object({ version, previousVersion: version.nullable() });
