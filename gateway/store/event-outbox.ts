import { EventEmitter } from 'node:events';
import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';

/** An event as the contract defines it (`S/events`). */
export interface StationEvent {
  id: string;
  ts: string;
  type: string;
  device?: string;
  data: Record<string, unknown>;
}

export interface NewEvent {
  type: string;
  device?: string;
  data?: Record<string, unknown>;
  /** Defaults to now. */
  ts?: Date;
}

interface Row {
  seq: number;
  id: string;
  ts: string;
  type: string;
  device: string | null;
  data: string;
}

export interface PendingEvent extends StationEvent {
  seq: number;
}

/**
 * The durable outbox: every event is committed to disk before `append` returns, and stays
 * pending until the broker acknowledged it. Delivered events remain as the usage log.
 */
export class EventOutbox extends EventEmitter<{ appended: [StationEvent] }> {
  private readonly insert: Statement;
  private readonly selectPending: Statement;
  private readonly markOne: Statement;
  private readonly countPending: Statement;
  private readonly ulid = monotonicFactory();

  constructor(private readonly db: Database) {
    super();
    this.insert = db.prepare('INSERT INTO events (id, ts, type, device, data) VALUES (?, ?, ?, ?, ?)');
    this.selectPending = db.prepare(
      'SELECT seq, id, ts, type, device, data FROM events WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.markOne = db.prepare('UPDATE events SET delivered_at = ? WHERE seq = ? AND delivered_at IS NULL');
    this.countPending = db.prepare('SELECT count(*) AS n FROM events WHERE delivered_at IS NULL');
  }

  /** Writes one event durably (one transaction, one sync) and returns it as stored. */
  append(event: NewEvent): StationEvent {
    const ts = event.ts ?? new Date();
    const stored: StationEvent = {
      id: this.ulid(ts.getTime()),
      ts: ts.toISOString(),
      type: event.type,
      ...(event.device !== undefined ? { device: event.device } : {}),
      data: event.data ?? {},
    };
    this.insert.run(stored.id, stored.ts, stored.type, stored.device ?? null, JSON.stringify(stored.data));
    this.emit('appended', stored);
    return stored;
  }

  /** Undelivered events after `afterSeq`, oldest first. */
  pending(limit: number, afterSeq = 0): PendingEvent[] {
    return (this.selectPending.all(afterSeq, limit) as Row[]).map((r) => ({
      seq: r.seq,
      id: r.id,
      ts: r.ts,
      type: r.type,
      ...(r.device !== null ? { device: r.device } : {}),
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  /** Marks events delivered (after their PUBACK), in one transaction. */
  markDelivered(seqs: readonly number[], at: Date = new Date()): void {
    if (seqs.length === 0) return;
    const when = at.toISOString();
    this.db.transaction(() => {
      for (const s of seqs) this.markOne.run(when, s);
    })();
  }

  pendingCount(): number {
    return (this.countPending.get() as { n: number }).n;
  }
}
