import { createHash } from 'node:crypto';
import { UsageError } from '../../config/usage-error.js';

/*
 * Which stations take a version in which ring, and how many of a ring may fail before the rollout
 * stops itself. Pure: the same stations and the same `--rings` give the same rings on every run,
 * which is what lets a run again carry on at the ring it was in.
 */

export type RingSize = { count: number } | { percent: number } | { rest: true };
export type FailureThreshold = { count: number } | { percent: number };

export const DEFAULT_RINGS = '1,10%,rest';
export const DEFAULT_FAILURE_THRESHOLD = '5%';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** `--rings 1,10%,rest`: counts or percentages of the whole fleet, the last one `rest`. */
export function parseRings(spec: string): RingSize[] {
  const parts = spec.split(',').map((p) => p.trim());
  const sizes = parts.map((part, i): RingSize => {
    if (part === 'rest') {
      if (i !== parts.length - 1) throw new UsageError(`--rings: "rest" is the last ring, not ring ${i + 1} of ${parts.length}`);
      return { rest: true };
    }
    if (/^\d+$/.test(part) && Number(part) >= 1) return { count: Number(part) };
    const m = PERCENT.exec(part);
    if (m && Number(m[1]) > 0 && Number(m[1]) <= 100) return { percent: Number(m[1]) };
    throw new UsageError(`--rings: "${part}" is not a ring size (a count such as 1, a share such as 10%, or rest)`);
  });
  if (!('rest' in (sizes.at(-1) as RingSize))) throw new UsageError(`--rings must end with "rest" (the stations no earlier ring took), as in ${DEFAULT_RINGS}`);
  return sizes;
}

/**
 * The rings in the stations' order: the first stations listed go first, so an operator puts the
 * station to try it on at the head of the list. A percentage is of the whole fleet, rounded up (a
 * ring of 10% of 15 stations has 2); a ring the fleet is too small to fill is left out.
 */
export function planRings(stations: readonly string[], sizes: readonly RingSize[]): string[][] {
  const rings: string[][] = [];
  let at = 0;
  for (const size of sizes) {
    const want = 'rest' in size ? stations.length - at : 'count' in size ? size.count : Math.ceil((size.percent * stations.length) / 100 - 1e-9);
    const ring = stations.slice(at, at + Math.max(0, want));
    at += ring.length;
    if (ring.length > 0) rings.push(ring);
  }
  return rings;
}

/** `--failure-threshold 5%` (of a ring's stations) or `3` (stations). */
export function parseFailureThreshold(text: string): FailureThreshold {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { count: Number(t) };
  const m = PERCENT.exec(t);
  if (m && Number(m[1]) <= 100) return { percent: Number(m[1]) };
  throw new UsageError(`--failure-threshold must be a share such as 5% or a count such as 3, not "${text}"`);
}

/**
 * The most stations of a ring that may fail (reject, roll back, or report nothing final in time)
 * and the rollout still go on: 5% of a ring of 1 is 0, so a single canary that fails stops it.
 */
export function allowedFailures(threshold: FailureThreshold, ringSize: number): number {
  if ('count' in threshold) return threshold.count;
  // The epsilon keeps 5% of 100 at 5, not 4.999…
  return Math.floor((threshold.percent * ringSize) / 100 + 1e-9);
}

/** Whether failures are past the threshold: the rollout stops after this ring. */
export function thresholdPassed(failures: number, ringSize: number, threshold: FailureThreshold): boolean {
  return failures > allowedFailures(threshold, ringSize);
}

export function formatThreshold(threshold: FailureThreshold): string {
  return 'count' in threshold ? `${threshold.count} stations` : `${threshold.percent}%`;
}

/** A fingerprint of the station list, so a run again with another list is told so. */
export function stationsFingerprint(stations: readonly string[]): string {
  return createHash('sha256').update(stations.join('\n')).digest('hex').slice(0, 16);
}

/** The default rollout id: the version and the minute it started, as a station echoes it in reports. */
export function defaultRolloutId(version: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 13);
  return `${version}-${stamp}`.slice(0, 64);
}

/**
 * A revision newer than any the stations have taken: the operator's clock in milliseconds, or one
 * past the highest revision their reports name if that is later (another operator's machine with
 * a clock ahead). Milliseconds since 1970 stay below 2^53 for another 285,000 years.
 */
export function nextRevision(nowMs: number, highestSeen: number | undefined): number {
  return Math.max(Math.floor(nowMs), (highestSeen ?? 0) + 1);
}
