import { EventEmitter } from 'node:events';
import type { Database, Statement } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { pooledRandom } from './pooled-random.js';
import type { MarkSource, OutboxPort, PendingEvent, PendingEventJson, StationEvent } from '../../cloud-bridge/outbox-port.js';
import { chunkedInsert } from './chunked-insert.js';
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

const EVENT_COLUMNS = 'INSERT INTO events (id, ts, type, device, data) VALUES ';

/**
 * The durable outbox: every event is committed to disk before `append` returns, and stays
 * pending until the broker acknowledged it. Delivered events remain as the usage log.
 */
export class EventOutbox extends EventEmitter<{ appended: [StationEvent] }> implements OutboxPort {
  private insert!: Statement;
  private insertRows!: ReturnType<typeof chunkedInsert>;
  private selectPendingJson!: Statement;
  private markRange!: Statement;
  private countPending!: Statement;
  private readonly ulid = monotonicFactory(pooledRandom());
  /** The last stamp's time and its ISO text: the events of a batch mostly share a millisecond. */
  private stampMs = Number.NaN;
  private stampIso = '';

  private writeOne!: (stored: StationEvent, marks: readonly number[]) => void;
  private writeMany!: (stored: readonly StationEvent[], marks: readonly number[]) => void;
  private markSource: MarkSource | undefined;
  private markRuns!: (runs: readonly number[], when: string) => void;

  constructor(db: Database) {
    super();
    this.rebind(db);
  }

  /** Writes to `db` from now on: the store's file once it can be opened, after a stand-in (StationStore). */
  rebind(db: Database): void {
    this.insert = db.prepare(`${EVENT_COLUMNS}(?, ?, ?, ?, ?)`);
    this.insertRows = chunkedInsert(db, EVENT_COLUMNS, 5);
    this.selectPendingJson = db.prepare(
      'SELECT seq, id, ts, type, device, data AS dataJson FROM events WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    );
    // A run of consecutive seqs is exactly the rows in its range: seq is the integer primary key.
    this.markRange = db.prepare('UPDATE events SET delivered_at = ? WHERE seq BETWEEN ? AND ? AND delivered_at IS NULL');
    this.countPending = db.prepare('SELECT count(*) AS n FROM events WHERE delivered_at IS NULL');
    this.writeOne = db.transaction((e: StationEvent, marks: readonly number[]) => {
      this.insert.run(e.id, e.ts, e.type, e.device ?? null, JSON.stringify(e.data));
      if (marks.length > 0) this.writeMarks(marks);
    });
    this.writeMany = db.transaction((events: readonly StationEvent[], marks: readonly number[]) => {
      const values: unknown[] = [];
      for (const e of events) values.push(e.id, e.ts, e.type, e.device ?? null, JSON.stringify(e.data));
      this.insertRows(values);
      if (marks.length > 0) this.writeMarks(marks);
    });
    this.markRuns = db.transaction((runs: readonly number[], when: string) => this.markEach(runs, when));
  }

  /**
   * Writes one event durably (one transaction, one sync) and returns it as stored: when this
   * returns, the event survives a power cut. Throws StoreFullError when the disk is full.
   */
  append(event: NewEvent): StationEvent {
    const stored = this.stamp(event);
    const marks = this.markSource?.takeMarks() ?? NO_MARKS;
    try {
      this.writeOne(stored, marks);
    } catch (err) {
      translateWriteError(err);
    }
    if (marks.length > 0) this.markSource?.marksWritten(marks);
    if (this.listenerCount('appended') > 0) this.emit('appended', stored);
    return stored;
  }

  /** Writes several events in one transaction (one sync): all of them or none. */
  appendMany(events: readonly NewEvent[]): StationEvent[] {
    const stored = events.map((e) => this.stamp(e));
    if (stored.length === 0) return stored;
    const marks = this.markSource?.takeMarks() ?? NO_MARKS;
    try {
      this.writeMany(stored, marks);
    } catch (err) {
      translateWriteError(err);
    }
    if (marks.length > 0) this.markSource?.marksWritten(marks);
    if (this.listenerCount('appended') > 0) for (const e of stored) this.emit('appended', e);
    return stored;
  }

  private stamp(event: NewEvent): StationEvent {
    const ms = (event.ts ?? new Date()).getTime();
    if (ms !== this.stampMs) {
      // An invalid date throws here, as toISOString always did.
      this.stampIso = new Date(ms).toISOString();
      this.stampMs = ms;
    }
    return {
      id: this.ulid(ms),
      ts: this.stampIso,
      type: event.type,
      device: event.device,
      data: event.data ?? {},
    };
  }

  /** Undelivered events after `afterSeq`, oldest first. */
  pending(limit: number, afterSeq = 0): PendingEvent[] {
    return this.pendingJson(limit, afterSeq).map(({ dataJson, ...row }) => eventFromRow({ ...row, data: dataJson }));
  }

  /** Undelivered events after `afterSeq`, oldest first, data as the JSON text stored (the relay's read). */
  pendingJson(limit: number, afterSeq = 0): PendingEventJson[] {
    return this.selectPendingJson.all(afterSeq, limit) as PendingEventJson[];
  }

  /**
   * Marks events delivered (after their PUBACK), in one transaction: one UPDATE per run of
   * consecutive seqs, which a drain acknowledges in order. Throws StoreFullError when the disk is full.
   */
  markDelivered(seqs: readonly number[], at: Date = new Date()): void {
    if (seqs.length === 0) return;
    try {
      this.markRuns(runsOf(seqs), at.toISOString());
    } catch (err) {
      translateWriteError(err);
    }
  }

  /**
   * Events the broker has not acknowledged yet: undelivered on disk, less those acknowledged
   * whose delivery marks wait in memory for their batch (`carryMarks`).
   */
  pendingCount(): number {
    return (this.countPending.get() as { n: number }).n - (this.markSource?.takeMarks().length ?? 0);
  }

  carryMarks(source: MarkSource): void {
    this.markSource = source;
  }

  /** Inside an event's transaction: the delivery marks it carries. */
  private writeMarks(seqs: readonly number[]): void {
    // Now, not the event's time: an event may carry a time of its own from the past.
    this.markEach(runsOf(seqs), new Date().toISOString());
  }

  private markEach(runs: readonly number[], when: string): void {
    for (let r = 0; r < runs.length; r += 2) this.markRange.run(when, runs[r], runs[r + 1]);
  }
}

const NO_MARKS: readonly number[] = [];

/** Sorted seqs as [first, last, first, last, ...] of their runs of consecutive integers. */
export function runsOf(seqs: readonly number[]): number[] {
  const sorted = [...seqs].sort((a, b) => a - b);
  const runs: number[] = [];
  for (const s of sorted) {
    const last = runs.length - 1;
    if (last > 0 && (s === runs[last] || s === (runs[last] as number) + 1)) runs[last] = s;
    else runs.push(s, s);
  }
  return runs;
}
