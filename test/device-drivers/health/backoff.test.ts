import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../device-drivers/health/backoff.js';

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
});
