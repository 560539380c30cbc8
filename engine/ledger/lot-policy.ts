import { z } from 'zod';

/** When an accrual's points become usable and how long they live. */
export const lotPolicySchema = z
  .object({
    activationDelaySeconds: z.number().int().min(0).optional(),
    lifetimeSeconds: z.number().int().positive().nullable().optional(),
  })
  .strict();

export type LotPolicy = z.infer<typeof lotPolicySchema>;

export interface LotPolicyLevels {
  rule?: LotPolicy | undefined;
  cardType?: LotPolicy | undefined;
  program: LotPolicy;
}

/**
 * Each setting comes from the earning rule, else the card type, else the program; a lifetime of null
 * at any level means "never expires" and stops the search.
 */
export function resolveLotPolicy(levels: LotPolicyLevels): {
  activationDelaySeconds: number;
  lifetimeSeconds: number | null;
} {
  const chain = [levels.rule, levels.cardType, levels.program];
  const delay = chain.find((p) => p?.activationDelaySeconds !== undefined)?.activationDelaySeconds ?? 0;
  const lifetime = chain.find((p) => p?.lifetimeSeconds !== undefined)?.lifetimeSeconds ?? null;
  return { activationDelaySeconds: delay, lifetimeSeconds: lifetime };
}

/** When points earned at `earnedAt` become usable and when they expire. */
export function lotDates(
  earnedAt: Date,
  levels: LotPolicyLevels,
): { activatesAt: Date; expiresAt: Date | null } {
  const { activationDelaySeconds, lifetimeSeconds } = resolveLotPolicy(levels);
  const activatesAt = new Date(earnedAt.getTime() + activationDelaySeconds * 1000);
  return {
    activatesAt,
    expiresAt: lifetimeSeconds === null ? null : new Date(activatesAt.getTime() + lifetimeSeconds * 1000),
  };
}
