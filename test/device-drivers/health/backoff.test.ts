import { describe, expect, it } from 'vitest';
import { Backoff, exponentialDelay } from '../../../device-drivers/health/backoff.js';

describe('Backoff', () => {
  it('doubles from min up to max and resets on success', () => {
    let t = 1000;
    const b = new Backoff(100, 1000, () => t);
    expect(b.waitMs()).toBe(0);
    expect([b.failed(), b.failed(), b.failed(), b.failed(), b.failed()]).toEqual([100, 200, 400, 800, 1000]);
    expect(b.failures).toBe(5);
    expect(b.waitMs()).toBe(1000);
    t += 600;
    expect(b.waitMs()).toBe(400);
    b.succeeded();
    expect(b.waitMs()).toBe(0);
    expect(b.failed()).toBe(100);
  });

  it('waits the ceiling at once for a failure that something cheaper watches meanwhile, and reports that wait', () => {
    const t = 1000;
    const b = new Backoff(100, 1000, () => t);
    expect(b.failed(t, true)).toBe(1000);
    expect(b.currentDelayMs).toBe(1000);
    expect(b.waitMs()).toBe(1000);
    // A later plain failure doubles on from the count in a row.
    expect(b.failed()).toBe(200);
    expect(b.currentDelayMs).toBe(200);
    b.succeeded();
    expect(b.currentDelayMs).toBe(0);
  });
});

describe('exponentialDelay', () => {
  it('starts at the first wait, doubles per step, stops at the ceiling, and never overflows', () => {
    expect([0, 1, 2, 3, 4].map((n) => exponentialDelay(n, 250, 3000))).toEqual([250, 500, 1000, 2000, 3000]);
    expect(exponentialDelay(10_000, 1000, 60_000)).toBe(60_000);
    expect(exponentialDelay(10_000, 1000, Infinity)).toBe(1000 * 2 ** 30);
  });
});
