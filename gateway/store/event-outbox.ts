import { EventEmitter } from 'node:events';
import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import type { OutboxPort, PendingEvent, StationEvent } from '../../cloud-bridge/outbox-port.js';
import { translateWriteError } from './store-errors.js';

export interface NewEvent {
  type: string;
  device?: string | undefined;
  data?: Record<string, unknown>;
  /** Defaults to now. */
  ts?: Date;
}

/** A row of the `events` table as SQLite returns it. */
export interface EventRow {
  seq: number;
  id: string;
  ts: string;
  type: string;
  device: string | null;
  data: string;
}


/** An `events` row as the event it stores, with its `seq`. */
export function eventFromRow(r: EventRow): PendingEvent {
  return {
    seq: r.seq,
    id: r.id,
    ts: r.ts,
    type: r.type,
    device: r.device ?? undefined,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

export interface EventOutboxOptions {
  /** Runs inside each event's transaction (usage sessions), so what it derives commits with it. */
  derive?: (event: StationEvent) => void;
}

/**
 * The durable outbox: every event is committed to disk before `append` returns, and stays
 * pending until the broker acknowledged it. Delivered events remain as the usage log.
 */
export class EventOutbox extends EventEmitter<{ appended: [StationEvent] }> implements OutboxPort {
  private db!: Database;
  private insert!: Statement;
  private selectPending!: Statement;
  private markOne!: Statement;
  private countPending!: Statement;
  private readonly ulid = monotonicFactory();

  private writeOne!: (stored: StationEvent) => void;
  private writeMany!: (stored: readonly StationEvent[]) => void;

  constructor(
    db: Database,
    private readonly options: EventOutboxOptions = {},
  ) {
    super();
    this.rebind(db);
  }

  /** Writes to `db` from now on: the store's file once it can be opened, after a stand-in (StationStore). */
  rebind(db: Database): void {
    this.db = db;
    this.insert = db.prepare('INSERT INTO events (id, ts, type, device, data) VALUES (?, ?, ?, ?, ?)');
    this.selectPending = db.prepare(
      'SELECT seq, id, ts, type, device, data FROM events WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.markOne = db.prepare('UPDATE events SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL');
    this.countPending = db.prepare('SELECT count(*) AS n FROM events WHERE delivered_at IS NULL');
    const derive = this.options.derive;
    const write = (e: StationEvent): void => {
      this.insert.run(e.id, e.ts, e.type, e.device ?? null, JSON.stringify(e.data));
      derive?.(e);
    };
    this.writeOne = db.transaction(write);
    this.writeMany = db.transaction((events: readonly StationEvent[]) => events.forEach(write));
  }

  /**
   * Writes one event durably (one transaction, one sync) and returns it as stored: when this
   * returns, the event survives a power cut. Throws StoreFullError when the disk is full.
   */
  append(event: NewEvent): StationEvent {
    const stored = this.stamp(event);
    try {
      this.writeOne(stored);
    } catch (err) {
      translateWriteError(err);
    }
    this.emit('appended', stored);
    return stored;
  }

  /** Writes several events in one transaction (one sync): all of them or none. */
  appendMany(events: readonly NewEvent[]): StationEvent[] {
    const stored = events.map((e) => this.stamp(e));
    try {
      this.writeMany(stored);
    } catch (err) {
      translateWriteError(err);
    }
    for (const e of stored) this.emit('appended', e);
    return stored;
  }

  private stamp(event: NewEvent): StationEvent {
    const ts = event.ts ?? new Date();
    return {
      id: this.ulid(ts.getTime()),
      ts: ts.toISOString(),
      type: event.type,
      device: event.device,
      data: event.data ?? {},
    };
  }

  /** Undelivered events after `afterSeq`, oldest first. */
  pending(limit: number, afterSeq = 0): PendingEvent[] {
    return (this.selectPending.all(afterSeq, limit) as EventRow[]).map(eventFromRow);
  }

  /** Marks events delivered (after their PUBACK), in one transaction. Throws StoreFullError when the disk is full. */
  markDelivered(seqs: readonly number[], at: Date = new Date()): void {
    if (seqs.length === 0) return;
    const when = at.toISOString();
    try {
      this.db.transaction(() => {
        for (const s of seqs) this.markOne.run(when, s);
      })();
    } catch (err) {
      translateWriteError(err);
    }
  }

  pendingCount(): number {
    return (this.countPending.get() as { n: number }).n;
  }
}
