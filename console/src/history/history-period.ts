import { dayOf, instantOf, wallTime } from './station-clock.js';

/*
 * The periods an operator looks back over, on the station's clock: last night (20:00 to 08:00),
 * the last 24 hours, or one day (00:00 to 00:00). `since` inclusive and `until` exclusive, as
 * cmd/logs takes them; `until` never later than now, so a page fetched later does not reach rows
 * written while paging (the console's own diagnostics.requested audits among them).
 */

export type PeriodKind = 'night' | 'day24' | 'date';

export interface Period {
  kind: PeriodKind;
  since: number;
  until: number;
  /** The station day it is of (`date`), or that the night ends on (`night`). */
  day?: string;
}

export const NIGHT_FROM_HOUR = 20;
export const NIGHT_TO_HOUR = 8;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * "Last night": from 20:00 of the station's yesterday to 08:00 of its today. Before 08:00 that is
 * the night still going on (to now), which is the one an operator on the early shift asks about.
 */
export function lastNight(now: number, zone: string | undefined): Period {
  const w = wallTime(now, zone);
  const since = instantOf({ year: w.year, month: w.month, day: w.day - 1, hour: NIGHT_FROM_HOUR }, zone);
  const until = instantOf({ year: w.year, month: w.month, day: w.day, hour: NIGHT_TO_HOUR }, zone);
  return { kind: 'night', since, until: Math.min(until, now), day: dayOf(now, zone) };
}

export function last24h(now: number): Period {
  return { kind: 'day24', since: now - 24 * 3600_000, until: now };
}

/** The station's day `YYYY-MM-DD` (an invalid one is undefined); a day still going on ends now. */
export function stationDay(day: string, now: number, zone: string | undefined): Period | undefined {
  const m = DAY_RE.exec(day);
  if (!m) return undefined;
  const [year, month, date] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.UTC would roll 2026-02-31 into March: a day that does not exist is refused.
  const probe = new Date(Date.UTC(year, month - 1, date));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== date) return undefined;
  const since = instantOf({ year, month, day: date }, zone);
  if (since > now) return undefined;
  const until = instantOf({ year, month, day: date + 1 }, zone);
  return { kind: 'date', since, until: Math.min(until, now), day };
}

export function periodFor(kind: PeriodKind, now: number, zone: string | undefined, day?: string): Period | undefined {
  if (kind === 'night') return lastNight(now, zone);
  if (kind === 'day24') return last24h(now);
  return day === undefined ? undefined : stationDay(day, now, zone);
}
