import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
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
  private close!: Statement;
  private readonly ulid = monotonicFactory();

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.db = db;
    this.insert = db.prepare(
      'INSERT INTO sessions (id, kind, device, key, started_at, ended_at, outcome, subject, data, start_event, end_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.findOpen = db.prepare('SELECT id, data FROM sessions WHERE kind = ? AND key = ? AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1');
    this.close = db.prepare('UPDATE sessions SET ended_at = ?, outcome = ?, data = ?, end_event = ?, subject = coalesce(subject, ?) WHERE id = ?');
  }

  /** Called by the outbox inside the event's own transaction. */
  record(event: StationEvent): void {
    const rule = SESSION_RULES[event.type];
    if (!rule) return;
    const key = [event.device ?? '', ...rule.keyFields.map((f) => text(event.data[f]) ?? '')].join('|');
    const subject = text(event.data['sub']) ?? null;
    const outcome = rule.outcome?.startsWith('=') ? (text(event.data[rule.outcome.slice(1)]) ?? 'unknown') : (rule.outcome ?? null);
    const device = event.device ?? null;
    const data = JSON.stringify(event.data);
    const id = this.ulid(Date.parse(event.ts));

    if (rule.role === 'whole') {
      const started = rule.startedAtField ? isoOr(event.data[rule.startedAtField], event.ts) : event.ts;
      const ended = rule.endedAtField ? isoOr(event.data[rule.endedAtField], event.ts) : event.ts;
      this.insert.run(id, rule.kind, device, key, started, ended, outcome, subject, data, event.id, event.id);
      return;
    }
    const open = this.findOpen.get(rule.kind, key) as { id: string; data: string } | undefined;
    if (rule.role === 'start') {
      if (open) this.close.run(event.ts, 'unknown', open.data, null, null, open.id);
      this.insert.run(id, rule.kind, device, key, event.ts, null, null, subject, data, event.id, null);
      return;
    }
    if (open) {
      const merged = { ...(JSON.parse(open.data) as Record<string, unknown>), ...event.data };
      this.close.run(event.ts, outcome, JSON.stringify(merged), event.id, subject, open.id);
    } else {
      // The start is not in this database (lost with a corrupt file, or pruned): keep the end.
      this.insert.run(id, rule.kind, device, key, event.ts, event.ts, outcome, subject, data, event.id, event.id);
    }
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
