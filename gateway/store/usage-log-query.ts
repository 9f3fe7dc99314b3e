import type { Database } from 'better-sqlite3';
import { eventFromRow, type EventRow } from './event-outbox.js';
import { type PendingEvent } from '../../cloud-bridge/outbox-port.js';

export interface LoggedEvent extends PendingEvent {
  deliveredAt?: string | undefined;
}

export interface EventQuery {
  since?: Date | undefined;
  until?: Date | undefined;
  /** Exact types, or prefixes written `access.*`. */
  types?: readonly string[] | undefined;
  device?: string | undefined;
  limit?: number | undefined;
  /** Only events after this `seq` (a page's cursor, cmd/logs). */
  afterSeq?: number | undefined;
}

interface Row extends EventRow {
  delivered_at: string | null;
}

/** The usage log (delivered and pending events) as the crew's `log` command reads it, in order. */
export function queryEvents(db: Database, query: EventQuery = {}): LoggedEvent[] {
  const where: string[] = [];
  const args: unknown[] = [];
  if (query.since) {
    where.push('ts >= ?');
    args.push(query.since.toISOString());
  }
  if (query.until) {
    where.push('ts < ?');
    args.push(query.until.toISOString());
  }
  if (query.afterSeq !== undefined) {
    where.push('seq > ?');
    args.push(query.afterSeq);
  }
  if (query.device) {
    where.push('device = ?');
    args.push(query.device);
  }
  if (query.types && query.types.length > 0) {
    const any: string[] = [];
    for (const t of query.types) {
      if (t.endsWith('*')) {
        // substr, not LIKE: a type may contain `_`, which LIKE reads as a wildcard.
        any.push('substr(type, 1, ?) = ?');
        const prefix = t.slice(0, -1);
        args.push(prefix.length, prefix);
      } else {
        any.push('type = ?');
        args.push(t);
      }
    }
    where.push(`(${any.join(' OR ')})`);
  }
  const sql = `SELECT seq, id, ts, type, device, data, delivered_at FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
  return (db.prepare(sql).all(...args, query.limit ?? -1) as Row[]).map((r) => ({ ...eventFromRow(r), deliveredAt: r.delivered_at ?? undefined }));
}
