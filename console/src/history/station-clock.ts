/*
 * Wall-clock arithmetic in the station's own time zone, with the browser's Intl only (no zone
 * database is bundled): "last night" and "a chosen day" are the station's nights and days, and an
 * hour of a chart is an hour on the station's clock, whatever zone the operator's browser is in.
 */

export interface WallTime {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23' };
    try {
      f = new Intl.DateTimeFormat('en-US', { ...options, ...(zone ? { timeZone: zone } : {}) });
    } catch {
      // A zone this browser does not know: UTC, as console/src/i18n/format.ts shows it.
      f = new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
    }
    formats.set(key, f);
  }
  return f;
}

/** The station's wall clock at instant `ms`; `zone` undefined: the browser's. */
export function wallTime(ms: number, zone: string | undefined): WallTime {
  const p: Record<string, number> = {};
  for (const part of format(zone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p['year'] ?? 1970, month: p['month'] ?? 1, day: p['day'] ?? 1, hour: (p['hour'] ?? 0) % 24, minute: p['minute'] ?? 0, second: p['second'] ?? 0 };
}

/** How far the zone's clock is ahead of UTC at `ms` (ms; negative west of Greenwich). */
export function offsetAt(ms: number, zone: string | undefined): number {
  const w = wallTime(ms, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant the station's clock shows `w` (fields may overflow: day 32 is the next month's 1st).
 * Twice round, so that a wall time across a daylight-saving change finds the offset in force then;
 * a wall time the change skips lands just after it.
 */
export function instantOf(w: Pick<WallTime, 'year' | 'month' | 'day'> & Partial<WallTime>, zone: string | undefined): number {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour ?? 0, w.minute ?? 0, w.second ?? 0);
  let t = naive - offsetAt(naive, zone);
  t = naive - offsetAt(t, zone);
  return t;
}

/** The start of the station-clock hour that holds `ms`. */
export function hourStart(ms: number, zone: string | undefined): number {
  const w = wallTime(ms, zone);
  return ms - (((ms % 1000) + 1000) % 1000) - (w.minute * 60 + w.second) * 1000;
}

/** `YYYY-MM-DD` of the station's day at `ms`. */
export function dayOf(ms: number, zone: string | undefined): string {
  const w = wallTime(ms, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

/** `YYYY-MM-DD HH:MM:SS` on the station's clock, without the zone: for a CSV cell Excel reads as a date. */
export function wallText(ms: number, zone: string | undefined): string {
  const w = wallTime(ms, zone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

export const pad = (n: number): string => String(n).padStart(2, '0');
