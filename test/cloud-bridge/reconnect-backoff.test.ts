import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../cloud-bridge/reconnect-backoff.js';
import { TokenBucket } from '../../cloud-bridge/limits/token-bucket.js';

describe('backoffDelay (exponential, full jitter)', () => {
  it('doubles its ceiling per attempt up to the maximum, and never goes under the floor', () => {
    const top = (n: number): number => backoffDelay(n, DEFAULT_BACKOFF, () => 1);
    expect([0, 1, 2, 3, 6, 7, 20, 1000].map(top)).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000, 60_000]);
    expect(backoffDelay(5, DEFAULT_BACKOFF, () => 0)).toBe(DEFAULT_BACKOFF.minMs);
  });

  it('spreads a fleet over the whole window instead of a lockstep wave', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const delays = Array.from({ length: 5000 }, () => backoffDelay(4, DEFAULT_BACKOFF, random));
    const buckets = new Array<number>(8).fill(0);
    for (const d of delays) buckets[Math.min(7, Math.floor(d / 2000))]! += 1;
    // 16 s window in 8 slices of 2 s: each slice holds roughly an eighth, none is a spike.
    for (const b of buckets) expect(b).toBeGreaterThan(5000 / 8 / 2);
    for (const b of buckets) expect(b).toBeLessThan((5000 / 8) * 2);
  });
});

describe('TokenBucket', () => {
  it('gives the burst at once, then the rate, on the clock it is given', () => {
    let t = 0;
    const bucket = new TokenBucket(100, 20, () => t);
    expect(bucket.take(50)).toBe(20);
    expect(bucket.take(1)).toBe(0);
    expect(bucket.msUntilNext()).toBe(10);
    t = 100; // 100 ms at 100/s = 10 tokens
    expect(bucket.take(50)).toBe(10);
    t = 10_000;
    expect(bucket.take(1000)).toBe(20); // never more than the burst saved up
  });

  it('does not limit when the rate is Infinity', () => {
    const bucket = new TokenBucket(Infinity, 1, () => 0);
    expect(bucket.take(1e6)).toBe(1e6);
    expect(bucket.msUntilNext()).toBe(0);
  });
});
