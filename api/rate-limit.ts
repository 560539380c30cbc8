import type { RateLimit } from '../engine/contracts/api-keys';

interface Bucket {
  tokens: number;
  /** The burst the bucket was last filled to: a raised burst adds its difference at once. */
  burst: number;
  at: number;
  /** When the bucket is full again: from then on, forgetting it changes nothing. */
  fullAt: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Token buckets in this process, one per API key: a key holds up to `burst` requests, refilled at
 * `perMinute / 60` a second. The limit is read with the key on every call, so a change applies at once:
 * a raised burst is that much more room straight away, a lowered one caps what is left.
 * Buckets that have filled up again are dropped, so memory stays bounded by the keys in use.
 */
export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>();
  private sweptAt: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.sweptAt = now();
  }

  /** Takes one request from the key's bucket, or says in how many seconds one will be there. */
  take(apiKeyId: number, limit: RateLimit): RateDecision {
    const now = this.now();
    this.sweep(now);
    const perMs = limit.perMinute / 60_000;
    const bucket = this.buckets.get(apiKeyId) ?? {
      tokens: limit.burst,
      burst: limit.burst,
      at: now,
      fullAt: now,
    };
    const raised = Math.max(0, limit.burst - bucket.burst);
    bucket.burst = limit.burst;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + raised + (now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(apiKeyId, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    bucket.fullAt = now + (limit.burst - bucket.tokens) / perMs;
    if (allowed) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  /** Once a minute, forgets the buckets that are full again. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [id, bucket] of this.buckets) if (bucket.fullAt <= now) this.buckets.delete(id);
  }

  /** How many keys have a bucket (for tests of the sweep). */
  get size(): number {
    return this.buckets.size;
  }
}
