import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { pooledRandom } from './pooled-random.js';
import type { StationEvent } from '../../cloud-bridge/outbox-port.js';
import { chunkedInsert } from './chunked-insert.js';
import { MetaTable } from './meta-table.js';
import { translateWriteError } from './store-errors.js';

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

/** A session row of the batch being derived, as it will be inserted. */
interface PendingRow {
  id: string;
  kind: SessionKind;
  device: string | null;
  key: string;
  startedAt: string;
  endedAt: string | null;
  outcome: string | null;
  subject: string | null;
  data: string;
  startEvent: string;
  endEvent: string | null;
}

/** One catch-up's rows, with the keys whose open session is settled: built in the batch, or the file's closed. */
interface Batch {
  rows: PendingRow[];
  /** `kind \0 key` to the row of the batch open on it. */
  open: Map<string, PendingRow>;
  /** Keys on which the file holds no open session any more. */
  settled: Set<string>;
}

const SESSION_COLUMNS = 'INSERT INTO sessions (id, kind, device, key, started_at, ended_at, outcome, subject, data, start_event, end_event) VALUES ';

/** Events (a span of seqs) read and derived per transaction when the sessions catch up with the log. */
export const CATCH_UP_PAGE = 2000;

/** The meta key of how far the sessions have been derived: the last event's seq, and the sessions' rowid then. */
export const SESSIONS_DERIVED_KEY = 'sessionsDerived';

interface Derived {
  /** Every event up to this seq is in the sessions. */
  seq: number;
  /** The sessions' largest rowid when `seq` was written: a larger one was written by someone else. */
  row: number;
}

/**
 * Usage sessions derived from the event log. They are derived after the event's own transaction,
 * in batches (`catchUp`), not inside it: a session is an index of the log, not a record of its
 * own, so its pages need not be written and synced with every event (issue 22). The cursor of
 * what has been derived commits with the sessions it covers, so a cut resumes where the last
 * batch ended and never derives an event twice. A session whose end was lost (the power went
 * while a door stood open) is closed with outcome `unknown` when the next one on its key starts.
 */
export class UsageSessions {
  private db!: Database;
  private insertRows!: ReturnType<typeof chunkedInsert>;
  private findOpen!: Statement;
  private closeStale!: Statement;
  private close!: Statement;
  private closeMerging!: Statement;
  private eventsAfter!: Statement;
  private lastSeq!: Statement;
  private lastRow!: Statement;
  private meta!: MetaTable;
  private deriveBatch!: (afterSeq: number, upTo: number) => void;
  private readonly ulid = monotonicFactory(pooledRandom());
  private idTs = '';
  private idMs = Number.NaN;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.db = db;
    this.insertRows = chunkedInsert(db, SESSION_COLUMNS, 11);
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
    // Only the events that make sessions, as arrays: most of the log is neither read into objects nor parsed.
    const types = Object.keys(SESSION_RULES).map((t) => `'${t}'`).join(', ');
    this.eventsAfter = db.prepare(`SELECT id, ts, type, device, data FROM events WHERE seq > ? AND seq <= ? AND type IN (${types}) ORDER BY seq`).raw(true);
    this.lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
    this.lastRow = db.prepare('SELECT coalesce(max(rowid), 0) FROM sessions').pluck();
    this.meta = new MetaTable(db);
    // A page is a span of seqs (the integer primary key), so the cursor moves past events that make no session.
    this.deriveBatch = db.transaction((afterSeq: number, upTo: number) => {
      const batch: Batch = { rows: [], open: new Map(), settled: new Set() };
      for (const [id, ts, type, device, data] of this.eventsAfter.all(afterSeq, upTo) as Array<[string, string, string, string | null, string]>) {
        this.record({ id, ts, type, device: device ?? undefined, data: JSON.parse(data) as Record<string, unknown> }, data, batch);
      }
      const values: unknown[] = [];
      for (const r of batch.rows) values.push(r.id, r.kind, r.device, r.key, r.startedAt, r.endedAt, r.outcome, r.subject, r.data, r.startEvent, r.endEvent);
      this.insertRows(values);
      this.meta.set(SESSIONS_DERIVED_KEY, { seq: upTo, row: this.lastRow.get() as number } satisfies Derived);
    });
  }

  /**
   * Derives the sessions of the next `limit` seqs past the cursor, in one transaction with the
   * cursor; returns how many seqs it covered (0: the sessions are up to date, and nothing was
   * written). Throws StoreFullError on a full disk, the events untouched.
   */
  catchUp(limit = CATCH_UP_PAGE): number {
    const { seq } = this.cursor();
    const last = this.lastSeq.get() as number;
    if (last <= seq) return 0;
    const upTo = Math.min(last, seq + limit);
    try {
      this.deriveBatch(seq, upTo);
    } catch (err) {
      translateWriteError(err);
    }
    return upTo - seq;
  }

  /** Catches up with the whole log, one page per transaction; returns how many seqs it covered. */
  catchUpAll(): number {
    let total = 0;
    for (let n = this.catchUp(); n > 0; n = this.catchUp()) total += n;
    return total;
  }

  /** Events in the log that are not in the sessions yet. */
  behind(): number {
    return Math.max(0, (this.lastSeq.get() as number) - this.cursor().seq);
  }

  /**
   * At start: sessions written past the cursor's rowid were derived by another gateway, an
   * older one that derived inside each event's transaction (a rollback after an update). It
   * derived the log up to its last event, so the cursor moves there instead of deriving those
   * events twice. Returns whether it moved.
   */
  adoptForeignSessions(): boolean {
    const cursor = this.cursor();
    const row = this.lastRow.get() as number;
    if (row <= cursor.row) return false;
    this.meta.set(SESSIONS_DERIVED_KEY, { seq: this.lastSeq.get() as number, row } satisfies Derived);
    return true;
  }

  private cursor(): Derived {
    // The schema addition writes the cursor: a file without it was only ever opened by gateways
    // that derived inside each event's transaction (read here read-only), so all of it is derived.
    return this.meta.get<Derived>(SESSIONS_DERIVED_KEY) ?? { seq: this.lastSeq.get() as number, row: this.lastRow.get() as number };
  }

  /**
   * One event into the sessions, inside `catchUp`'s transaction; `dataJson` is `event.data` as
   * stored. Rows of this batch are built in memory and inserted at its end: a visit's
   * start and end become one insert of a closed row, not an insert and an update. The rows are
   * those that deriving each event on its own against the file gives, in the same order.
   */
  private record(event: StationEvent, dataJson: string, batch: Batch): void {
    const rule = SESSION_RULES[event.type];
    if (!rule) return;
    let key = event.device ?? '';
    for (const f of rule.keyFields) key += `|${text(event.data[f]) ?? ''}`;
    const subject = text(event.data['sub']) ?? null;
    const outcome = rule.outcome?.startsWith('=') ? (text(event.data[rule.outcome.slice(1)]) ?? 'unknown') : (rule.outcome ?? null);
    const device = event.device ?? null;
    const row = (startedAt: string, endedAt: string | null, rowOutcome: string | null): PendingRow => ({
      id: this.newId(event),
      kind: rule.kind,
      device,
      key,
      startedAt,
      endedAt,
      outcome: rowOutcome,
      subject,
      data: dataJson,
      startEvent: event.id,
      endEvent: endedAt === null ? null : event.id,
    });

    if (rule.role === 'whole') {
      const started = rule.startedAtField ? isoOr(event.data[rule.startedAtField], event.ts) : event.ts;
      const ended = rule.endedAtField ? isoOr(event.data[rule.endedAtField], event.ts) : event.ts;
      batch.rows.push(row(started, ended, outcome));
      return;
    }
    const slot = `${rule.kind}\u0000${key}`;
    const open = batch.open.get(slot);
    if (rule.role === 'start') {
      if (open) {
        open.endedAt = event.ts;
        open.outcome = 'unknown';
      } else if (!batch.settled.has(slot)) {
        // The session the file holds open on this key, if any (the batch holds none open there).
        this.closeStale.run(event.ts, rule.kind, key);
      }
      batch.settled.add(slot);
      const started = row(event.ts, null, null);
      batch.rows.push(started);
      batch.open.set(slot, started);
      return;
    }
    if (open) {
      batch.open.delete(slot);
      open.endedAt = event.ts;
      open.outcome = outcome;
      open.data = JSON.stringify({ ...(JSON.parse(open.data) as Record<string, unknown>), ...event.data });
      open.endEvent = event.id;
      open.subject ??= subject;
      return;
    }
    if (!batch.settled.has(slot)) {
      batch.settled.add(slot);
      if (this.closeInFile(event, rule.kind, key, outcome, subject, dataJson)) return;
    }
    // The start is not in this database (lost with a corrupt file, or pruned): keep the end.
    batch.rows.push(row(event.ts, event.ts, outcome));
  }

  /** Closes the session the file holds open on `key` with this end; returns whether there was one. */
  private closeInFile(event: StationEvent, kind: SessionKind, key: string, outcome: string | null, subject: string | null, dataJson: string): boolean {
    if (mergesFlat(event.data)) return this.closeMerging.run(event.ts, outcome, dataJson, event.id, subject, kind, key).changes > 0;
    // An aggregate always returns a row: no open session is a row of NULLs.
    const open = this.findOpen.get(kind, key) as [number | null, string | null, string | null];
    if (open[0] === null) return false;
    const merged = { ...(JSON.parse(open[1] as string) as Record<string, unknown>), ...event.data };
    this.close.run(event.ts, outcome, JSON.stringify(merged), event.id, subject, open[0]);
    return true;
  }

  private newId(event: StationEvent): string {
    // The events of a batch mostly share a timestamp: parse it once.
    if (event.ts !== this.idTs) {
      this.idTs = event.ts;
      this.idMs = Date.parse(event.ts);
    }
    return this.ulid(this.idMs);
  }

  /**
   * Sessions that started in [`since`, `until`), of one kind and one device when asked, oldest
   * first. A writable database catches up with the log first; a read-only one (the crew's `log`
   * command) lists what the gateway has derived (`behind` says what is missing).
   */
  list(query: SessionQuery = {}): UsageSession[] {
    if (!this.db.readonly) this.catchUpAll();
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
