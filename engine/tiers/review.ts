import type { TierLadder } from '../contracts/tier-ladder';

/** The highest tier whose threshold the qualifying spend reaches; null below the first. */
export function qualifiedTier(ladder: TierLadder, spend: number): string | null {
  let tier: string | null = null;
  for (const t of ladder.tiers) if (spend >= t.threshold) tier = t.code;
  return tier;
}

/**
 * The customer's tier after a review: up to the qualified tier at once; down as the downgrade policy
 * says (`never` keeps the tier, `one-step` falls one tier, `to-qualified` falls to the qualified one),
 * and not while the grace period since the tier was reached lasts. A tier no longer on the ladder is
 * replaced by the qualified one.
 */
export function reviewTier(
  ladder: TierLadder,
  current: { tier: string | null; since: Date | null },
  spend: number,
  at: Date,
): string | null {
  const qualified = qualifiedTier(ladder, spend);
  const rank = (code: string | null) => (code === null ? -1 : ladder.tiers.findIndex((t) => t.code === code));
  const now = rank(current.tier);
  const target = rank(qualified);
  if (now < 0 || target >= now) return qualified;
  const { policy, graceMonths } = ladder.downgrade;
  if (policy === 'never') return current.tier;
  if (current.since && graceMonths > 0) {
    const graceEnds = new Date(current.since);
    graceEnds.setUTCMonth(graceEnds.getUTCMonth() + graceMonths);
    if (at < graceEnds) return current.tier;
  }
  return policy === 'one-step' ? ladder.tiers[now - 1]!.code : qualified;
}
