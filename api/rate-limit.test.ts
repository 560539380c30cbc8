import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

describe('the rate limiter', () => {
  it('admits a burst, then refills at the rate and says when to retry', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { perMinute: 60, burst: 3 };
    expect([1, 2, 3].map(() => limiter.take(7, limit).allowed)).toEqual([true, true, true]);
    expect(limiter.take(7, limit)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = 999;
    expect(limiter.take(7, limit).allowed).toBe(false);
    now = 1000;
    expect(limiter.take(7, limit).allowed).toBe(true);
    expect(limiter.take(8, limit).allowed).toBe(true);
  });

  it('counts slow limits in whole seconds to wait and never fills beyond the burst', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { perMinute: 2, burst: 1 };
    expect(limiter.take(1, limit).allowed).toBe(true);
    expect(limiter.take(1, limit)).toEqual({ allowed: false, retryAfterSeconds: 30 });
    now = 3_600_000;
    expect(limiter.take(1, limit).allowed).toBe(true);
    expect(limiter.take(1, limit).allowed).toBe(false);
  });

  it('applies a changed limit at once and forgets buckets that are full again', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    expect(limiter.take(1, { perMinute: 60, burst: 1 }).allowed).toBe(true);
    expect(limiter.take(1, { perMinute: 60, burst: 1 }).allowed).toBe(false);
    now = 500;
    expect(limiter.take(1, { perMinute: 6000, burst: 100 }).allowed).toBe(true);
    limiter.take(2, { perMinute: 1, burst: 5 });
    limiter.take(2, { perMinute: 1, burst: 5 });
    now = 61_000;
    limiter.take(3, { perMinute: 60, burst: 5 });
    expect(limiter.size).toBe(2);
  });

  it('gives a raised burst as room at once, without waiting for the refill', () => {
    const now = 0;
    const limiter = new RateLimiter(() => now);
    const small = { perMinute: 60, burst: 2 };
    expect([1, 2, 3].map(() => limiter.take(4, small).allowed)).toEqual([true, true, false]);
    const raised = { perMinute: 60, burst: 5 };
    expect([1, 2, 3, 4].map(() => limiter.take(4, raised).allowed)).toEqual([true, true, true, false]);
  });
});
