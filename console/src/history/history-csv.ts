import type { LogEvent } from './hour-buckets.js';
import { wallText } from './station-clock.js';

/*
 * The usage log of a period as CSV for a spreadsheet: UTF-8 with a byte-order mark (Excel in
 * Chinese reads a file without one as GBK and shows 乱码), CRLF rows and RFC 4180 quoting. The
 * station's time and UTC each get a column, as `YYYY-MM-DD HH:MM:SS`, which Excel takes as a date
 * (it does not take ISO's `T…Z`); the event id keeps the exact order and instant.
 */

export const BOM = '\uFEFF';

export interface CsvWords {
  /** Column heads, in order: station time, UTC, type (words), type, device, what happened, data, id. */
  head: readonly [string, string, string, string, string, string, string, string];
  /** An event's type in words and its data as a sentence. */
  describe(e: LogEvent): { name: string; sentence: string };
}

/**
 * A cell as RFC 4180 wants it. A text starting with = + - @ (or a tab or CR) would be run as a
 * formula by Excel: a worker id or a reason is the station's data, not ours to execute, so it gets
 * a leading apostrophe (OWASP's advice for CSV injection).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** The whole file's text, BOM first. */
export function historyCsv(events: readonly LogEvent[], zone: string | undefined, words: CsvWords): string {
  const lines = [BOM, csvLine(words.head)];
  for (const e of events) {
    const at = Date.parse(e.ts);
    const { name, sentence } = words.describe(e);
    lines.push(csvLine([Number.isFinite(at) ? wallText(at, zone) : e.ts, Number.isFinite(at) ? wallText(at, 'UTC') : e.ts, name, e.type, e.device ?? '', sentence, JSON.stringify(e.data), e.id]));
  }
  return lines.join('');
}

/** `demo-hz-0001_2026-12-01T2000_2026-12-02T0800.csv`, on the station's clock; safe in any file system. */
export function csvFileName(station: string, since: number, until: number, zone: string | undefined): string {
  const stamp = (ms: number): string => wallText(ms, zone).replace(' ', 'T').replace(/:/g, '').slice(0, 15);
  return `${station.replace(/[^A-Za-z0-9._-]/g, '_')}_${stamp(since)}_${stamp(until)}.csv`;
}
