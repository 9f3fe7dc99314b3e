import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { queryEvents, type LoggedEvent } from '../store/usage-log-query.js';
import { SESSIONS_CATCH_UP_MS } from '../store/station-store.js';
import { UsageSessions, type SessionKind, type UsageSession } from '../store/usage-sessions.js';
import { integerOption, UsageError } from '../../config/usage-error.js';
import { formatZoned, parseWallTime } from './zoned-time.js';

export interface LogOptions {
  since?: string | undefined;
  until?: string | undefined;
  type?: string | undefined;
  device?: string | undefined;
  csv?: boolean | undefined;
  sessions?: boolean | undefined;
  limit?: string | undefined;
  /** Print times in UTC instead of the station's time zone (CSV is always ISO-8601 UTC). */
  utc?: boolean | undefined;
}


const RELATIVE = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `2026-11-28` or `2026-11-28T22:00` on the station's wall clock, an ISO time with its own zone
 * (`2026-11-28T14:00Z`), or a span back from now: `30m`, `12h`, `7d`.
 */
export function parseWhen(text: string, option: string, now: Date = new Date(), timeZone = 'UTC'): Date {
  const rel = RELATIVE.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]);
  const wall = parseWallTime(text, timeZone);
  if (wall) return wall;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${option}: "${text}" is neither a date (2026-11-28, 2026-11-28T22:00Z) nor a span (30m, 12h, 7d)`);
  return new Date(t);
}

/**
 * `station-gateway log`: the usage log read straight from the station's database, read-only,
 * while the gateway runs or not; for a crew on site with no cloud. Writes lines through `write`.
 * Times typed and printed are the station's wall clock (`timeZone`) unless `utc` is set.
 */
export function runLogCommand(dbPath: string, options: LogOptions, write: (line: string) => void, now: Date = new Date(), timeZone = 'UTC'): number {
  const zone = options.utc ? 'UTC' : timeZone;
  const since = options.since !== undefined ? parseWhen(options.since, '--since', now, zone) : undefined;
  const until = options.until !== undefined ? parseWhen(options.until, '--until', now, zone) : undefined;
  const limit = integerOption(options.limit, 'limit', 1);
  if (!existsSync(dbPath)) {
    throw new Error(`no usage log at ${dbPath} (has the gateway run with this configuration?)`);
  }
  const db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    if (options.sessions) {
      const kind = options.type as SessionKind | undefined;
      const sessions = new UsageSessions(db);
      const rows = sessions.list({ since, until, kind, device: options.device, limit });
      printSessions(rows, options.csv === true, write, zone);
      const behind = sessions.behind();
      // Not in CSV, which a spreadsheet reads row by row.
      if (behind > 0 && options.csv !== true) {
        write(`(${behind} newer event${behind === 1 ? ' is' : 's are'} not in the sessions yet: a running gateway adds them within ${SESSIONS_CATCH_UP_MS / 60_000} min, a stopped one at its next start)`);
      }
      return rows.length;
    }
    const types = options.type?.split(',').map((t) => t.trim()).filter(Boolean);
    const rows = queryEvents(db, { since, until, types, device: options.device, limit });
    printEvents(rows, options.csv === true, write, zone);
    return rows.length;
  } finally {
    db.close();
  }
}

/** RFC 4180: quote a field when it holds a comma, quote or line break; double inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const shown = (iso: string, zone: string): string => formatZoned(new Date(iso), zone);

function printEvents(rows: LoggedEvent[], csv: boolean, write: (line: string) => void, zone: string): void {
  if (csv) {
    write('id,ts,type,device,delivered_at,data');
    for (const e of rows) write([e.id, e.ts, e.type, e.device ?? '', e.deliveredAt ?? '', JSON.stringify(e.data)].map(csvField).join(','));
    return;
  }
  if (rows.length > 0) write(`${'time'.padEnd(25)}   ${'type'.padEnd(16)} ${'device'.padEnd(12)} data`);
  for (const e of rows) {
    const mark = e.deliveredAt ? ' ' : '*';
    write(`${shown(e.ts, zone)} ${mark} ${e.type.padEnd(16)} ${(e.device ?? '-').padEnd(12)} ${JSON.stringify(e.data)}`);
  }
  if (rows.some((e) => !e.deliveredAt)) write('(* = not yet acknowledged by the cloud)');
}

function printSessions(rows: UsageSession[], csv: boolean, write: (line: string) => void, zone: string): void {
  if (csv) {
    write('id,kind,device,started_at,ended_at,outcome,subject,data');
    for (const s of rows) {
      write([s.id, s.kind, s.device ?? '', s.startedAt, s.endedAt ?? '', s.outcome ?? '', s.subject ?? '', JSON.stringify(s.data)].map(csvField).join(','));
    }
    return;
  }
  if (rows.length > 0) write(`${'started'.padEnd(25)}   ${'ended'.padEnd(25)} ${'kind'.padEnd(9)} ${'device'.padEnd(12)} ${'outcome'.padEnd(10)} data`);
  for (const s of rows) {
    const ended = s.endedAt !== undefined ? shown(s.endedAt, zone) : 'open';
    write(`${shown(s.startedAt, zone)} → ${ended.padEnd(25)} ${s.kind.padEnd(9)} ${(s.device ?? '-').padEnd(12)} ${(s.outcome ?? '-').padEnd(10)} ${JSON.stringify(s.data)}`);
  }
}
