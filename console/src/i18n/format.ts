import { lang } from './locale.js';

/*
 * Times, durations and numbers for people, with the browser's Intl: in the language in use and,
 * for clock times, in the station's own time zone (what the station's opening hours, its night
 * window and a worker's "last night" mean), labelled with that zone so nobody reads it as theirs.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${lang()} ${timeZone ?? ''}`;
  let f = formats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
    try {
      f = new Intl.DateTimeFormat(lang(), { ...options, ...(timeZone ? { timeZone } : {}) });
    } catch {
      // A zone this browser does not know: UTC, which the label then says.
      f = new Intl.DateTimeFormat(lang(), { ...options, timeZone: 'UTC' });
    }
    formats.set(key, f);
  }
  return f;
}

/**
 * A moment as the station's wall clock shows it, with its zone: "2026-12-01 21:04:05 GMT+8". Built
 * from the parts, in that order in both languages: Intl's own zh-CN pattern puts the zone between
 * the date and the time, which reads as part of neither.
 */
export function stationTime(ms: number | string | undefined, timeZone: string | undefined, withDate = true): string {
  if (ms === undefined) return '—';
  const t = typeof ms === 'string' ? Date.parse(ms) : ms;
  if (!Number.isFinite(t)) return '—';
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const p of dateFormat(timeZone).formatToParts(t)) part[p.type] = p.value;
  const clock = `${part.hour}:${part.minute}:${part.second}`;
  const zone = part.timeZoneName ?? '';
  return `${withDate ? `${part.year}-${part.month}-${part.day} ` : ''}${clock}${zone ? ` ${zone}` : ''}`;
}

const relative = new Map<string, Intl.RelativeTimeFormat>();

/** "12 秒前" / "12 s ago", then minutes, hours, days. */
export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '—';
  let f = relative.get(lang());
  if (!f) {
    f = new Intl.RelativeTimeFormat(lang(), { numeric: 'always', style: 'short' });
    relative.set(lang(), f);
  }
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return f.format(-s, 'second');
  if (s < 3600) return f.format(-Math.floor(s / 60), 'minute');
  if (s < 86_400) return f.format(-Math.floor(s / 3600), 'hour');
  return f.format(-Math.floor(s / 86_400), 'day');
}

/** A number in the language's digits and grouping, or "—" for what is not one. */
export function num(v: unknown, digits = 0): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  return v.toLocaleString(lang(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
