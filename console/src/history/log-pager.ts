import type { Reply, ReplyCode } from '../operator/command-channel.js';
import type { LogEvent } from './hour-buckets.js';

/*
 * A period's usage log from the station itself, page after page of `cmd/logs` (docs/diagnostics.md):
 * each page is a reply of at most 48 KiB, `next` is the cursor for the following one. A diagnose
 * code is not spent at the station, so pages go one after another with no wait for a code step;
 * each gets a freshly signed code all the same, so a long fetch never outlives one. Stops at the
 * end, at `maxRows` (the station's own cap is 10,000 over all pages), on a refusal, or when cancelled.
 */

export interface LogQuery {
  since: number;
  until: number;
  type?: string;
  device?: string;
}

export interface PagerDeps {
  /** A diagnose code (RC1) for the station. */
  sign(): Promise<string>;
  /** `cmd/logs` with this body, answered or failed; never rejects. */
  request(body: Record<string, unknown>): Promise<Reply>;
}

export interface PagerOptions {
  signal?: AbortSignal;
  /** After each page: the counts so far, and the rows so far (the same array, growing). */
  onPage?(progress: { pages: number; rows: number }, rows: readonly LogEvent[]): void;
  maxRows?: number;
}

export type PagerOutcome =
  | { status: 'done'; rows: LogEvent[]; pages: number; bounded: boolean }
  | { status: 'cancelled'; rows: LogEvent[]; pages: number }
  | { status: 'failed'; rows: LogEvent[]; pages: number; error: { code: ReplyCode; message: string } };

export const MAX_ROWS = 5000;
/** A station that keeps answering `next` with nothing new must not page for ever. */
const MAX_EMPTY_PAGES = 3;

const isEvent = (v: unknown): v is LogEvent => {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r['id'] === 'string' && typeof r['ts'] === 'string' && typeof r['type'] === 'string' && !!r['data'] && typeof r['data'] === 'object';
};

export async function fetchLog(query: LogQuery, deps: PagerDeps, options: PagerOptions = {}): Promise<PagerOutcome> {
  const maxRows = options.maxRows ?? MAX_ROWS;
  const rows: LogEvent[] = [];
  let pages = 0;
  let empty = 0;
  let cursor: string | undefined;
  const cancelled = (): PagerOutcome => ({ status: 'cancelled', rows, pages });
  for (;;) {
    if (options.signal?.aborted) return cancelled();
    let token: string;
    try {
      token = await deps.sign();
    } catch (err) {
      const code = (err as { code?: ReplyCode }).code ?? 'SIGN_FAILED';
      return { status: 'failed', rows, pages, error: { code, message: (err as Error).message } };
    }
    if (options.signal?.aborted) return cancelled();
    const body: Record<string, unknown> = {
      token,
      since: new Date(query.since).toISOString(),
      until: new Date(query.until).toISOString(),
      // With a cursor the station keeps the count itself (the cursor carries what is left).
      limit: maxRows,
      ...(query.type ? { type: query.type } : {}),
      ...(query.device ? { device: query.device } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const reply = await deps.request(body);
    // A reply that comes after a cancel is dropped: the operator has moved on.
    if (options.signal?.aborted) return cancelled();
    if (!reply.ok) return { status: 'failed', rows, pages, error: reply.error };
    const page = reply.result;
    if (!Array.isArray(page['rows']) || !page['rows'].every(isEvent)) return { status: 'failed', rows, pages, error: { code: 'BAD_REPLY', message: 'the station sent a logs page this console cannot read' } };
    pages += 1;
    rows.push(...(page['rows'] as LogEvent[]));
    options.onPage?.({ pages, rows: rows.length }, rows);
    const next = typeof page['next'] === 'string' && page['next'] !== '' ? page['next'] : undefined;
    empty = page['rows'].length === 0 ? empty + 1 : 0;
    // No `next` but truncated: `limit` stopped it, and there was more.
    if (!next) return { status: 'done', rows, pages, bounded: page['truncated'] === true };
    if (rows.length >= maxRows || empty >= MAX_EMPTY_PAGES || next === cursor) return { status: 'done', rows, pages, bounded: true };
    cursor = next;
  }
}
