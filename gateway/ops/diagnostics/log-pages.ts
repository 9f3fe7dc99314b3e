import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { CommandError } from '../../../cloud-bridge/command-handler.js';
import type { CommandRequest, LogsResult } from '../../../cloud-bridge/contract-schemas.js';
import { queryEvents } from '../../store/usage-log-query.js';
import { UsageSessions, type SessionKind } from '../../store/usage-sessions.js';

/**
 * A page's `result`, serialised, stays at or under this: with the reply around it (envelope,
 * correlation, the reply topic the request named) well inside the 64 KiB packet limit of the
 * broker and the station. A request whose reply topic and correlation data are long gets a
 * smaller page (DiagnosticsService, from CommandContext.replyOverheadBytes).
 */
export const LOGS_PAGE_BYTES = 48 * 1024;

/** Rows read per page from the database: a page of small events fits this many in its bytes. */
const ROWS_PER_READ = 500;

const SESSION_KINDS: readonly SessionKind[] = ['access', 'door', 'swap', 'water', 'occupancy'];

/** What a cursor carries: where the last page ended, and how many rows `limit` still allows. */
const cursorSchema = z.union([
  z.strictObject({ k: z.literal('e'), seq: z.number().int().min(0), left: z.number().int().min(1).optional() }),
  z.strictObject({ k: z.literal('s'), at: z.string().min(1), id: z.string().min(1), left: z.number().int().min(1).optional() }),
]);
type Cursor = z.output<typeof cursorSchema>;

export type LogsRequest = Pick<CommandRequest<'logs'>, 'since' | 'until' | 'type' | 'device' | 'sessions' | 'limit' | 'cursor'>;

/** What a page read, for the audit record. */
export interface LogPage {
  result: LogsResult;
  /** Rows whose data alone exceeded a page and were sent with it left out. */
  omitted: number;
}

/**
 * One page of the usage log for `cmd/logs`, filtered as `station-gateway log` filters (events, or
 * usage sessions), oldest first. Rows are added while the serialised result stays within
 * LOGS_PAGE_BYTES: the size is measured, since one event's data may be ten times another's. A
 * row that would not fit even alone is sent with its data left out, so paging always moves on.
 */
export function readLogPage(db: Database, request: LogsRequest, pageBytes = LOGS_PAGE_BYTES): LogPage {
  const cursor = request.cursor !== undefined ? decodeCursor(request.cursor) : undefined;
  const since = instant(request.since, 'since');
  const until = instant(request.until, 'until');
  if (since && until && since.getTime() >= until.getTime()) throw new CommandError('BAD_REQUEST', 'since must be before until');
  const left = cursor ? cursor.left : request.limit;
  const read = Math.min(ROWS_PER_READ, left ?? ROWS_PER_READ) + 1;

  let rows: Array<Record<string, unknown>>;
  let keyOf: (row: Record<string, unknown>) => Cursor;
  if (request.sessions) {
    if (cursor && cursor.k !== 's') throw new CommandError('BAD_REQUEST', 'cursor: it is from an events page, not a sessions page');
    const kind = request.type;
    if (kind !== undefined && !(SESSION_KINDS as readonly string[]).includes(kind)) {
      throw new CommandError('BAD_REQUEST', `type: with sessions, one of ${SESSION_KINDS.join(', ')}, not "${kind.slice(0, 50)}"`);
    }
    const after = cursor?.k === 's' ? { startedAt: cursor.at, id: cursor.id } : undefined;
    rows = new UsageSessions(db).list({ since, until, device: request.device, kind: kind as SessionKind | undefined, after, limit: read }).map((s) => dropUndefined({ ...s }));
    keyOf = (r) => ({ k: 's', at: r['startedAt'] as string, id: r['id'] as string });
  } else {
    if (cursor && cursor.k !== 'e') throw new CommandError('BAD_REQUEST', 'cursor: it is from a sessions page, not an events page');
    const types = request.type?.split(',').map((t) => t.trim()).filter(Boolean);
    const afterSeq = cursor?.k === 'e' ? cursor.seq : undefined;
    const seqs: number[] = [];
    rows = queryEvents(db, { since, until, types, device: request.device, afterSeq, limit: read }).map(({ seq, ...e }) => {
      seqs.push(seq);
      return dropUndefined({ ...e });
    });
    const seqOf = new Map(rows.map((r, i) => [r, seqs[i] as number]));
    keyOf = (r) => ({ k: 'e', seq: seqOf.get(r) as number });
  }

  const page: Array<Record<string, unknown>> = [];
  let omitted = 0;
  // `{"rows":[],"next":"<cursor>","truncated":true}`: what a page costs beyond its rows.
  let bytes = Buffer.byteLength(JSON.stringify({ rows: [], next: 'x'.repeat(200), truncated: false }));
  const allowed = Math.min(left ?? Infinity, read - 1);
  for (const row of rows.slice(0, allowed)) {
    let size = Buffer.byteLength(JSON.stringify(row)) + 1;
    let sent = row;
    if (bytes + size > pageBytes && page.length === 0) {
      sent = { ...row, data: { omitted: `${size} bytes, more than a page holds; read it on site with station-gateway log` } };
      size = Buffer.byteLength(JSON.stringify(sent)) + 1;
      omitted++;
    }
    if (bytes + size > pageBytes) break;
    page.push(sent);
    bytes += size;
  }
  const last = page.length > 0 ? rows[page.length - 1] : undefined;
  const remaining = left !== undefined ? left - page.length : undefined;
  const more = page.length < rows.length && (remaining === undefined || remaining > 0);
  const result: LogsResult = {
    rows: page as LogsResult['rows'],
    truncated: page.length < rows.length,
  };
  if (more && last) result.next = encodeCursor({ ...keyOf(last), ...(remaining !== undefined ? { left: remaining } : {}) });
  return { result, omitted };
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new CommandError('BAD_REQUEST', 'cursor: not one this station made (send the `next` of the previous page unchanged)');
  }
  const parsed = cursorSchema.safeParse(raw);
  if (!parsed.success) throw new CommandError('BAD_REQUEST', 'cursor: not one this station made (send the `next` of the previous page unchanged)');
  return parsed.data;
}

/** The schema's pattern lets `2026-13-45T...` through; an Invalid Date would match nothing silently. */
function instant(text: string | undefined, field: string): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new CommandError('BAD_REQUEST', `${field}: "${text}" is not a real instant`);
  return at;
}

/** JSON drops undefined fields anyway; dropping them here keeps the measured size the sent size. */
function dropUndefined(row: Record<string, unknown>): Record<string, unknown> {
  for (const k of Object.keys(row)) if (row[k] === undefined) delete row[k];
  return row;
}
