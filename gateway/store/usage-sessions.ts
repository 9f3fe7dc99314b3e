import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { pooledRandom } from './pooled-random.js';
import type { StationEvent } from '../../cloud-bridge/outbox-port.js';

export type SessionKind = 'access' | 'door' | 'swap' | 'water' | 'occupancy';

/**
 * How an event type shapes a session. `start` opens one under its key, `end` closes the open one,
 * `whole` is a session in one event. The key is the device plus the named data fields, so two
 * doors of one lock or two swaps on one cabinet never close each other's session.
 */
interface SessionRule {
  kind: SessionKind;
  role: 'start' | 'end' | 'whole';
  keyFields: readonly string[];
  /** outcome recorded when this event ends the session; a data field name prefixed by `=` is read from data. */
  outcome?: string;
  /** data fields holding the real start/end of a `whole` session, when the device reports them. */
  startedAtField?: string;
  endedAtField?: string;
}

/** The contract's event types that make sessions; other events are the log only. */
export const SESSION_RULES: Readonly<Record<string, SessionRule>> = {
  'access.granted': { kind: 'access', role: 'whole', keyFields: ['res'], outcome: 'granted' },
  'access.denied': { kind: 'access', role: 'whole', keyFields: ['res'], outcome: '=code' },
  'door.opened': { kind: 'door', role: 'start', keyFields: ['door'] },
  'door.closed': { kind: 'door', role: 'end', keyFields: ['door'], outcome: 'closed' },
  'swap.started': { kind: 'swap', role: 'start', keyFields: ['swapId'] },
  'swap.completed': { kind: 'swap', role: 'end', keyFields: ['swapId'], outcome: 'completed' },
  'swap.aborted': { kind: 'swap', role: 'end', keyFields: ['swapId'], outcome: '=reason' },
  'water.dispensed': { kind: 'water', role: 'whole', keyFields: [], outcome: 'dispensed', startedAtField: 'startedAt' },
  'occupancy.session': { kind: 'occupancy', role: 'whole', keyFields: [], outcome: 'left', startedAtField: 'enteredAt', endedAtField: 'leftAt' },
};

export interface UsageSession {
  id: string;
  kind: SessionKind;
  device?: string | undefined;
  startedAt: string;
  endedAt?: string | undefined;
  outcome?: string | undefined;
  subject?: string | undefined;
  data: Record<string, unknown>;
  startEvent: string;
  endEvent?: string | undefined;
}

interface Row {
  id: string;
  kind: SessionKind;
  device: string | null;
  started_at: string;
  ended_at: string | null;
  outcome: string | null;
  subject: string | null;
  data: string;
  start_event: string;
  end_event: string | null;
}

export interface SessionQuery {
  since?: Date | undefined;
  until?: Date | undefined;
  kind?: SessionKind | undefined;
  device?: string | undefined;
  limit?: number | undefined;
  /** Only sessions after this one in the list's order (a page's cursor, cmd/logs). */
  after?: { startedAt: string; id: string } | undefined;
}

/**
 * Whether merging `data` into a session's data with SQLite's json_patch (RFC 7396) gives what
 * the object spread and JSON.stringify give: for strings, booleans, finite numbers and arrays
 * (which replace the key's value in both). Not for null (a merge patch deletes the key), nested
 * objects (merged, not replaced), nor values JSON.stringify drops or turns into null (undefined,
 * NaN, functions), which the spread would still let overwrite the key.
 */
function mergesFlat(data: Record<string, unknown>): boolean {
  for (const key in data) {
    const v = data[key];
    const flat = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || Array.isArray(v);
    if (!flat) return false;
  }
  return true;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined);
const isoOr = (v: unknown, fallback: string): string => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v).toISOString() : fallback);

/**
 * Usage sessions derived from events, inside the transaction that stores the event: a session
 * row can never disagree with the log it came from. A session whose end was lost (the power went
 * while a door stood open) is closed with outcome `unknown` when the next one on its key starts.
 */
export class UsageSessions {
  private db!: Database;
  private insert!: Statement;
  private findOpen!: Statement;
  private closeStale!: Statement;
  private close!: Statement;
  private closeMerging!: Statement;
  private readonly ulid = monotonicFactory(pooledRandom());
  private idTs = '';
  private idMs = Number.NaN;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.db = db;
    this.insert = db.prepare(
      'INSERT INTO sessions (id, kind, device, key, started_at, ended_at, outcome, subject, data, start_event, end_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // At most one session is open per kind and key (a start closes the last); max() rather than
    // ORDER BY ... LIMIT 1 finds it without a sorter per event (SQLite takes the bare columns
    // from the row with the maximum).
    const open = 'SELECT rowid AS open_row, data, max(started_at) FROM sessions WHERE kind = ? AND key = ? AND ended_at IS NULL';
    this.findOpen = db.prepare(open).raw(true);
    // A start closes the session its key left open in the same statement: no row read into JS,
    // data and subject stay as they were.
    this.closeStale = db.prepare(`UPDATE sessions SET ended_at = ?, outcome = 'unknown' WHERE rowid = (SELECT open_row FROM (${open}))`);
    this.close = db.prepare('UPDATE sessions SET ended_at = ?, outcome = ?, data = ?, end_event = ?, subject = coalesce(subject, ?) WHERE rowid = ?');
    // An end closes its open session in one statement, the data merged by SQLite: json_patch of
    // a flat object is the spread of `record`'s other path (see mergesFlat).
    this.closeMerging = db.prepare(
      `UPDATE sessions SET ended_at = ?, outcome = ?, data = json_patch(data, ?), end_event = ?, subject = coalesce(subject, ?) WHERE rowid = (SELECT open_row FROM (${open}))`,
    );
  }

  /**
   * Called by the outbox inside the event's own transaction. `dataJson` is `event.data` as the
   * outbox serialised it (passed so it is serialised once); given or not, the same rows result.
   */
  record(event: StationEvent, dataJson?: string): void {
    const rule = SESSION_RULES[event.type];
    if (!rule) return;
    let key = event.device ?? '';
    for (const f of rule.keyFields) key += `|${text(event.data[f]) ?? ''}`;
    const subject = text(event.data['sub']) ?? null;
    const outcome = rule.outcome?.startsWith('=') ? (text(event.data[rule.outcome.slice(1)]) ?? 'unknown') : (rule.outcome ?? null);
    const device = event.device ?? null;
    const data = dataJson ?? JSON.stringify(event.data);

    if (rule.role === 'whole') {
      const started = rule.startedAtField ? isoOr(event.data[rule.startedAtField], event.ts) : event.ts;
      const ended = rule.endedAtField ? isoOr(event.data[rule.endedAtField], event.ts) : event.ts;
      this.insert.run(this.newId(event), rule.kind, device, key, started, ended, outcome, subject, data, event.id, event.id);
      return;
    }
    if (rule.role === 'start') {
      this.closeStale.run(event.ts, rule.kind, key);
      this.insert.run(this.newId(event), rule.kind, device, key, event.ts, null, null, subject, data, event.id, null);
      return;
    }
    if (mergesFlat(event.data)) {
      if (this.closeMerging.run(event.ts, outcome, data, event.id, subject, rule.kind, key).changes === 0) {
        this.insert.run(this.newId(event), rule.kind, device, key, event.ts, event.ts, outcome, subject, data, event.id, event.id);
      }
      return;
    }
    // An aggregate always returns a row: no open session is a row of NULLs.
    const open = this.findOpen.get(rule.kind, key) as [number | null, string | null, string | null];
    if (open[0] !== null) {
      const merged = { ...(JSON.parse(open[1] as string) as Record<string, unknown>), ...event.data };
      this.close.run(event.ts, outcome, JSON.stringify(merged), event.id, subject, open[0]);
    } else {
      // The start is not in this database (lost with a corrupt file, or pruned): keep the end.
      this.insert.run(this.newId(event), rule.kind, device, key, event.ts, event.ts, outcome, subject, data, event.id, event.id);
    }
  }

  private newId(event: StationEvent): string {
    // The events of a batch mostly share a timestamp: parse it once.
    if (event.ts !== this.idTs) {
      this.idTs = event.ts;
      this.idMs = Date.parse(event.ts);
    }
    return this.ulid(this.idMs);
  }

  /** Sessions that started in [`since`, `until`), of one kind and one device when asked, oldest first. */
  list(query: SessionQuery = {}): UsageSession[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.since) {
      where.push('started_at >= ?');
      args.push(query.since.toISOString());
    }
    if (query.until) {
      where.push('started_at < ?');
      args.push(query.until.toISOString());
    }
    if (query.device) {
      where.push('device = ?');
      args.push(query.device);
    }
    if (query.kind) {
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.after) {
      where.push('(started_at > ? OR (started_at = ? AND id > ?))');
      args.push(query.after.startedAt, query.after.startedAt, query.after.id);
    }
    const sql = `SELECT * FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, query.limit ?? -1) as Row[]).map((r) => ({
      id: r.id,
      kind: r.kind,
      device: r.device || undefined,
      startedAt: r.started_at,
      endedAt: r.ended_at ?? undefined,
      outcome: r.outcome ?? undefined,
      subject: r.subject ?? undefined,
      data: JSON.parse(r.data) as Record<string, unknown>,
      startEvent: r.start_event,
      endEvent: r.end_event ?? undefined,
    }));
  }
}
