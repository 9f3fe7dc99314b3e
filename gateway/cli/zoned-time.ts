/**
 * Times as a crew on site reads and types them: the station's own wall clock with its UTC offset,
 * not UTC (a night-shift event at 02:00 in Hangzhou is 18:00 the day before in UTC).
 */

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

function offsetFormat(timeZone: string): Intl.DateTimeFormat {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset', year: 'numeric' });
    offsetFormats.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `at`, in minutes (east positive): 480 for Asia/Shanghai. */
export function utcOffsetMinutes(at: Date, timeZone: string): number {
  const name = offsetFormat(timeZone).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m || m[1] === undefined) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `2026-11-28 10:00:09 +08:00`: the instant on the station's wall clock, with its offset. */
export function formatZoned(at: Date, timeZone: string): string {
  const offset = utcOffsetMinutes(at, timeZone);
  const wall = new Date(at.getTime() + offset * 60_000);
  const date = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  return `${date} ${time} ${formatOffset(offset)}`;
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A date or date-time without a zone (`2026-11-28`, `2026-11-28T22:00`) read as the station's
 * wall clock; `undefined` when `text` is not of that form (it may carry its own zone: `...Z`).
 */
export function parseWallTime(text: string, timeZone: string): Date | undefined {
  const m = WALL.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  // The offset at the wall time itself, corrected once: right on either side of a DST change.
  const first = asUtc - utcOffsetMinutes(check, timeZone) * 60_000;
  return new Date(asUtc - utcOffsetMinutes(new Date(first), timeZone) * 60_000);
}
