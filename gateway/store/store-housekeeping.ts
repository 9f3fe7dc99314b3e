import type { Database, Statement } from 'better-sqlite3';
import type { ReplayCache } from './replay-cache.js';

export interface HousekeepingLimits {
  retainDays: number;
  maxBytes: number;
}

/** Where the store stands against its disk budget after a round of housekeeping. */
export type BudgetLevel =
  /** Within the budget with history kept for `retainDays`. */
  | 'ok'
  /** Delivered history was deleted before its retention ran out, to stay within the budget. */
  | 'pruned'
  /** Undelivered events alone fill the budget: nothing more can be made room for (never dropped). */
  | 'over';

export interface HousekeepingReport {
  expiredEvents: number;
  expiredSessions: number;
  prunedEvents: number;
  forgottenTokens: number;
  usedBytes: number;
  maxBytes: number;
  level: BudgetLevel;
}

/** Above this share of the budget, delivered history is pruned… */
export const PRUNE_ABOVE = 0.9;
/** …down to this share, so pruning runs rarely and in large steps. */
export const PRUNE_TO = 0.7;
const PRUNE_CHUNK = 2000;
/**
 * Retention deletes by whole hours of its cutoff, so a station past its retention deletes once an
 * hour, not a few rows every round (each deletion is a transaction: its pages written to the WAL
 * and synced). History is kept up to an hour longer than `retainDays`.
 */
export const RETENTION_STEP_MS = 3_600_000;
/**
 * Freed pages are given back to the file system (incremental vacuum, the WAL truncated) only past
 * this many, or after pruning for the budget. Below it SQLite reuses them for the next events;
 * compacting after every small deletion moved pages and rewrote every page of the WAL into the file
 * each round (measured: 24 kB a round, 33 MB a day, at 500 events a day past retention). In
 * bytes, not pages: 256 pages of 4 KB at first, and a file of 1 KB pages (open-database.ts) would
 * have compacted four times as often (measured: 8.5 MB a day instead of 2.1).
 */
export const COMPACT_ABOVE_FREE_BYTES = 1 << 20;

/**
 * Retention and the disk budget. Only delivered events are ever deleted: an event the cloud has
 * not acknowledged stays whatever the budget says, and the level `over` makes that loud instead.
 */
export class StoreHousekeeping {
  private db!: Database;
  /** Fixed when the file was made (open-database.ts): read once per database, not per question. */
  private pageSize = 0;
  private anyExpiredEvents!: Statement;
  private deleteExpiredEvents!: Statement;
  private deleteExpiredSessions!: Statement;
  private deleteOldestDelivered!: Statement;

  constructor(
    db: Database,
    private readonly replay: ReplayCache,
  ) {
    this.rebind(db);
  }

  /** Works on `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.db = db;
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    this.anyExpiredEvents = db.prepare('SELECT EXISTS (SELECT 1 FROM events WHERE delivered_at IS NOT NULL AND ts < ?)').pluck();
    this.deleteExpiredEvents = db.prepare('DELETE FROM events WHERE delivered_at IS NOT NULL AND ts < ?');
    this.deleteExpiredSessions = db.prepare('DELETE FROM sessions WHERE coalesce(ended_at, started_at) < ?');
    this.deleteOldestDelivered = db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE delivered_at IS NOT NULL ORDER BY seq LIMIT ?)',
    );
  }

  /**
   * Bytes the database holds: its live pages. The write-ahead log is left out on purpose: it is
   * checkpointed back into those pages every 4 MB (open-database.ts) and truncated here when
   * pages are given back, so it is a bounded, passing overhead rather than data.
   */
  usedBytes(): number {
    return ((this.db.pragma('page_count', { simple: true }) as number) - (this.db.pragma('freelist_count', { simple: true }) as number)) * this.pageSize;
  }

  /**
   * One round. `beforeEventsLeave` runs only in a round that deletes events, before they go: what
   * is derived from the log (the usage sessions) catches up with it there, and a round that
   * deletes no event writes nothing for it. It may run twice in a round (expiry, then the
   * budget), so it must do nothing when there is nothing new.
   */
  run(limits: HousekeepingLimits, now: Date = new Date(), beforeEventsLeave: () => void = () => undefined): HousekeepingReport {
    const cutoffMs = now.getTime() - limits.retainDays * 86_400_000;
    const cutoff = new Date(Math.floor(cutoffMs / RETENTION_STEP_MS) * RETENTION_STEP_MS).toISOString();
    if (this.anyExpiredEvents.get(cutoff) === 1) beforeEventsLeave();
    const expiredEvents = this.deleteExpiredEvents.run(cutoff).changes;
    const expiredSessions = this.deleteExpiredSessions.run(cutoff).changes;
    const forgottenTokens = this.replay.purgeExpired(now);

    let prunedEvents = 0;
    let level: BudgetLevel = 'ok';
    if (this.usedBytes() > limits.maxBytes * PRUNE_ABOVE) {
      level = 'pruned';
      beforeEventsLeave();
      while (this.usedBytes() > limits.maxBytes * PRUNE_TO) {
        const n = this.deleteOldestDelivered.run(PRUNE_CHUNK).changes
        prunedEvents += n;
        if (n === 0) {
          // Nothing delivered is left to delete: what remains is owed to the cloud.
          if (this.usedBytes() > limits.maxBytes * PRUNE_ABOVE) level = 'over';
          break;
        }
      }
    }
    if (prunedEvents > 0 || this.freeBytes() >= COMPACT_ABOVE_FREE_BYTES) this.compact();
    return { expiredEvents, expiredSessions, prunedEvents, forgottenTokens, usedBytes: this.usedBytes(), maxBytes: limits.maxBytes, level };
  }

  private freeBytes(): number {
    return (this.db.pragma('freelist_count', { simple: true }) as number) * this.pageSize;
  }

  /** Gives freed pages back to the file system and empties the WAL. */
  private compact(): void {
    this.db.pragma('incremental_vacuum');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
