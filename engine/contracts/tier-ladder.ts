import { z } from 'zod';
import { DomainError } from '../errors';
import { code } from './cards';

/**
 * The tier ladder: tiers by qualifying spend over a rolling window, when a customer's tier is
 * reviewed, and how far it may fall. Thresholds are money in minor units. What a tier earns is a
 * pricing rule like any other (an earn rule with a `tier` condition), not part of the ladder.
 */

export const tierSchema = z
  .object({
    code,
    name: z.string().trim().min(1).max(200),
    /** Qualifying spend within the window that reaches the tier; the lowest tier usually has 0. */
    threshold: z.int().min(0).max(1_000_000_000_000),
  })
  .strict();
export type Tier = z.infer<typeof tierSchema>;

export const reviewPeriodSchema = z.enum(['on-purchase', 'monthly', 'quarterly', 'yearly']);

export const tierLadderSchema = z
  .object({
    tiers: z.array(tierSchema).min(1).max(50),
    /** Qualifying spend counts over the last `months` months. */
    window: z.object({ months: z.int().min(1).max(120) }).strict(),
    /** When tiers are recomputed: with every purchase (up and down) or at the start of each period. */
    reviewPeriod: reviewPeriodSchema,
    downgrade: z
      .object({
        /** never: a tier is kept once reached; one-step: fall one tier per review; to-qualified: fall to the tier the spend reaches. */
        policy: z.enum(['never', 'one-step', 'to-qualified']),
        /**
         * Months a tier is kept for at least, counted from when it was reached: a review inside them
         * does not lower it, whatever the spend (a status guaranteed for so long).
         */
        graceMonths: z.int().min(0).max(24).default(0),
      })
      .strict(),
  })
  .strict();
export type TierLadder = z.infer<typeof tierLadderSchema>;

/**
 * Checks what the shape cannot: codes unique, thresholds strictly ascending from the first tier.
 * Throws DomainError `invalid_tier_ladder` naming the offending field (`tiers.2.threshold`).
 */
export function checkTierLadder(ladder: TierLadder): TierLadder {
  const seen = new Set<string>();
  ladder.tiers.forEach((tier, i) => {
    if (seen.has(tier.code)) {
      throw new DomainError(
        'invalid_tier_ladder',
        `tier code "${tier.code}" is used twice`,
        422,
        `tiers.${i}.code`,
      );
    }
    seen.add(tier.code);
    const below = ladder.tiers[i - 1];
    if (below !== undefined && tier.threshold <= below.threshold) {
      throw new DomainError(
        'invalid_tier_ladder',
        `threshold ${tier.threshold} must be above the previous tier's ${below.threshold}`,
        422,
        `tiers.${i}.threshold`,
      );
    }
  });
  return ladder;
}
