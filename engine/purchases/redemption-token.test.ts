import { describe, expect, it } from 'vitest';
import { checkRedemptionToken, issueRedemptionToken } from './redemption-token';

describe('redemption token', () => {
  const now = new Date('2026-11-25T10:00:00Z');
  const token = issueRedemptionToken('s3cret', {
    customerId: 7,
    points: 500,
    expiresAt: new Date('2026-11-25T10:05:00Z'),
  });
  const check =
    (t: string | undefined, customerId = 7, points = 500, at = now) =>
    () =>
      checkRedemptionToken('s3cret', t, { customerId, points, now: at });

  it('covers the customer, up to the points, until it expires', () => {
    expect(check(token)).not.toThrow();
    expect(check(token, 7, 300)).not.toThrow();
    expect(check(token, 7, 501)).toThrow(/covers 500/);
    expect(check(token, 8)).toThrow(/another customer/);
    expect(check(token, 7, 500, new Date('2026-11-25T10:05:00Z'))).toThrow(/expired/);
    expect(check(undefined)).toThrow(/one-time code/);
    expect(check(token.replace('.500.', '.900.'), 7, 900)).toThrow(/invalid/);
    expect(check(token)()).toBe(token.split('.')[3]);
  });
});
