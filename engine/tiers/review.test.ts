import { describe, expect, it } from 'vitest';
import type { TierLadder } from '../contracts/tier-ladder';
import { qualifiedTier, reviewTier } from './review';

const ladder = (policy: TierLadder['downgrade']['policy'], graceMonths = 0): TierLadder => ({
  tiers: [
    { code: 'base', name: 'Base', threshold: 0 },
    { code: 'gold', name: 'Gold', threshold: 100_000 },
    { code: 'platinum', name: 'Platinum', threshold: 500_000 },
  ],
  window: { months: 12 },
  reviewPeriod: 'on-purchase',
  downgrade: { policy, graceMonths },
});
const at = new Date('2026-11-25T10:00:00Z');

describe('tier review', () => {
  it('qualifies by the highest threshold reached', () => {
    expect(qualifiedTier(ladder('never'), 99_999)).toBe('base');
    expect(qualifiedTier(ladder('never'), 100_000)).toBe('gold');
    expect(
      qualifiedTier({ ...ladder('never'), tiers: [{ code: 'x', name: 'X', threshold: 10 }] }, 5),
    ).toBeNull();
  });

  it('goes up at once, and down as the policy says', () => {
    const platinum = { tier: 'platinum', since: new Date('2026-01-01T00:00:00Z') };
    expect(reviewTier(ladder('never'), { tier: 'base', since: null }, 600_000, at)).toBe('platinum');
    expect(reviewTier(ladder('never'), platinum, 0, at)).toBe('platinum');
    expect(reviewTier(ladder('one-step'), platinum, 0, at)).toBe('gold');
    expect(reviewTier(ladder('to-qualified'), platinum, 0, at)).toBe('base');
    expect(reviewTier(ladder('to-qualified', 12), platinum, 0, at)).toBe('platinum');
    expect(reviewTier(ladder('to-qualified'), { tier: 'retired', since: null }, 150_000, at)).toBe('gold');
  });
});
