import { hourStart } from './station-clock.js';

/*
 * The usage log per hour of the station's clock, for the charts: swaps completed, water drawn,
 * how long someone was inside, access refusals. Pure (no page), so a Node test checks it.
 */

/** A row of the logs result (cloud-bridge's logsResultSchema, events). */
export interface LogEvent {
  id: string;
  ts: string;
  type: string;
  device?: string;
  data: Record<string, unknown>;
}

export interface HourBucket {
  /** The hour's start and end (ms): an hour on the station's clock. */
  start: number;
  end: number;
  swaps: number;
  /** Millilitres, from water.dispensed `ml`. */
  waterMl: number;
  /** Seconds anyone was inside, occupancy sessions cut at the hour's edges. */
  occupiedSeconds: number;
  /** access.denied, each counted with its `attempts` (a flood is written once a minute). */
  refusals: number;
}

export type Metric = 'swaps' | 'waterMl' | 'occupiedSeconds' | 'refusals';
export const METRICS: readonly Metric[] = ['swaps', 'waterMl', 'occupiedSeconds', 'refusals'];

const HOUR_MS = 3600_000;

/** The station-clock hours that meet [since, until): the first may start before `since`. */
export function hoursOf(since: number, until: number, zone: string | undefined): HourBucket[] {
  const out: HourBucket[] = [];
  let start = hourStart(since, zone);
  // Bounded: a period is at most a few days; a bad zone must not loop for ever.
  while (start < until && out.length < 24 * 40) {
    // Across a daylight-saving change an hour of the clock may be longer or shorter than 3600 s.
    let end = hourStart(start + HOUR_MS, zone);
    if (end <= start) end = start + HOUR_MS;
    out.push({ start, end, swaps: 0, waterMl: 0, occupiedSeconds: 0, refusals: 0 });
    start = end;
  }
  return out;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const time = (v: unknown): number | undefined => (typeof v === 'string' ? finite(Date.parse(v)) : undefined);
const finite = (n: number): number | undefined => (Number.isFinite(n) ? n : undefined);

/** Which bucket holds `ms`, by binary search (buckets are in order and touch). */
function bucketAt(buckets: readonly HourBucket[], ms: number): HourBucket | undefined {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = buckets[mid] as HourBucket;
    if (ms < b.start) hi = mid - 1;
    else if (ms >= b.end) lo = mid + 1;
    else return b;
  }
  return undefined;
}

/** Adds each event of the period to its hour; an event outside every hour is left out. */
export function bucketByHour(events: readonly LogEvent[], since: number, until: number, zone: string | undefined): HourBucket[] {
  const buckets = hoursOf(since, until, zone);
  for (const e of events) {
    const at = time(e.ts);
    if (at === undefined) continue;
    if (e.type === 'occupancy.session') {
      // From entering to leaving, each hour getting its share; the event is written on leaving.
      const left = time(e.data['leftAt']) ?? at;
      const seconds = num(e.data['seconds']);
      const entered = time(e.data['enteredAt']) ?? (seconds !== undefined ? left - seconds * 1000 : left);
      for (const b of buckets) {
        const overlap = Math.min(left, b.end, until) - Math.max(entered, b.start, since);
        if (overlap > 0) b.occupiedSeconds += overlap / 1000;
      }
      continue;
    }
    const b = bucketAt(buckets, at);
    if (!b) continue;
    if (e.type === 'swap.completed') b.swaps += 1;
    else if (e.type === 'water.dispensed') b.waterMl += num(e.data['ml']) ?? 0;
    else if (e.type === 'access.denied') b.refusals += Math.max(1, Math.floor(num(e.data['attempts']) ?? 1));
  }
  for (const b of buckets) b.occupiedSeconds = Math.round(b.occupiedSeconds);
  return buckets;
}

