import { describe, expect, it } from 'vitest';
import { UsageError } from '../../config/usage-error.js';
import { allowedFailures, defaultRolloutId, nextRevision, parseFailureThreshold, parseRings, planRings, thresholdPassed } from '../../fleet/update/rollout-plan.js';

const fleet = (n: number): string[] => Array.from({ length: n }, (_, i) => `st-${i + 1}`);

describe('rings', () => {
  it('1,10%,rest: one station, a tenth of the whole rounded up, then the rest, in the order listed', () => {
    const rings = planRings(fleet(2000), parseRings('1,10%,rest'));
    expect(rings.map((r) => r.length)).toEqual([1, 200, 1799]);
    expect(rings[0]).toEqual(['st-1']);
    expect(rings[1]?.[0]).toBe('st-2');
    expect(rings.flat()).toEqual(fleet(2000));
    expect(planRings(fleet(15), parseRings('1,10%,rest')).map((r) => r.length)).toEqual([1, 2, 12]);
    expect(planRings(fleet(100), parseRings('5, 2.5%, 25%, rest')).map((r) => r.length)).toEqual([5, 3, 25, 67]);
  });

  it('leaves out a ring the fleet is too small to fill, and never puts a station in two', () => {
    expect(planRings(fleet(1), parseRings('1,10%,rest'))).toEqual([['st-1']]);
    expect(planRings(fleet(3), parseRings('2,50%,rest'))).toEqual([['st-1', 'st-2'], ['st-3']]);
  });

  it('refuses a spec without rest at its end, rest before the end, a zero, a share over 100%', () => {
    for (const bad of ['1,10%', 'rest,1', '0,rest', '101%,rest', '1,,rest', 'ten,rest']) expect(() => parseRings(bad), bad).toThrow(UsageError);
    expect(parseRings('rest')).toEqual([{ rest: true }]);
  });
});

describe('the failure threshold', () => {
  it('a share of the ring rounded down: 5% of a lone canary is 0, of 200 is 10, of 1799 is 89', () => {
    const t = parseFailureThreshold('5%');
    expect([1, 19, 20, 200, 1799].map((n) => allowedFailures(t, n))).toEqual([0, 0, 1, 10, 89]);
    expect(allowedFailures(parseFailureThreshold('0%'), 500)).toBe(0);
    expect(allowedFailures(parseFailureThreshold('3'), 500)).toBe(3);
    expect(allowedFailures(parseFailureThreshold('2.5%'), 200)).toBe(5);
  });

  it('is passed only by more failures than it allows', () => {
    const t = parseFailureThreshold('5%');
    expect(thresholdPassed(0, 1, t)).toBe(false);
    expect(thresholdPassed(1, 1, t)).toBe(true);
    expect(thresholdPassed(10, 200, t)).toBe(false);
    expect(thresholdPassed(11, 200, t)).toBe(true);
    expect(thresholdPassed(3, 10, parseFailureThreshold('3'))).toBe(false);
    expect(thresholdPassed(4, 10, parseFailureThreshold('3'))).toBe(true);
  });

  it('refuses what is not a share or a count', () => {
    for (const bad of ['five', '-1', '120%', '5 %x', '']) expect(() => parseFailureThreshold(bad), bad).toThrow(UsageError);
  });
});

describe('revisions and ids', () => {
  it('a revision is the clock in milliseconds, or one past the highest a station reported if that is later', () => {
    expect(nextRevision(1_764_615_600_000, undefined)).toBe(1_764_615_600_000);
    expect(nextRevision(1_764_615_600_000, 1_764_615_500_000)).toBe(1_764_615_600_000);
    expect(nextRevision(1_764_615_600_000, 1_764_615_700_000)).toBe(1_764_615_700_001);
    expect(nextRevision(1_764_615_600_000, 3)).toBe(1_764_615_600_000);
  });

  it('the default rollout id is the version and the minute, in the characters a station echoes', () => {
    const id = defaultRolloutId('0.2.0-rc.1', new Date('2026-12-01T19:04:05.678Z'));
    expect(id).toBe('0.2.0-rc.1-20261201T1904');
    expect(id).toMatch(/^[A-Za-z0-9_.-]{1,64}$/);
  });
});
