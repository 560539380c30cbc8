import { z } from 'zod';

/** When an accrual's points become usable and how long they live. */
export const lotPolicySchema = z
  .object({
    activationDelaySeconds: z.number().int().min(0).optional(),
    lifetimeSeconds: z.number().int().positive().nullable().optional(),
  })
  .strict();

export type LotPolicy = z.infer<typeof lotPolicySchema>;

/**
 * Each setting comes from the earning rule, else the card type, else the program; a lifetime of null
 * at any level means "never expires" and stops the search.
 */
export function lotDates(
  earnedAt: Date,
  levels: { rule?: LotPolicy | undefined; cardType?: LotPolicy | undefined; program: LotPolicy },
): { activatesAt: Date; expiresAt: Date | null } {
  const chain = [levels.rule, levels.cardType, levels.program];
  const delay = chain.find((p) => p?.activationDelaySeconds !== undefined)?.activationDelaySeconds ?? 0;
  const lifetimeLevel = chain.find((p) => p?.lifetimeSeconds !== undefined);
  const lifetime = lifetimeLevel?.lifetimeSeconds ?? null;
  const activatesAt = new Date(earnedAt.getTime() + delay * 1000);
  return {
    activatesAt,
    expiresAt: lifetime === null ? null : new Date(activatesAt.getTime() + lifetime * 1000),
  };
}
