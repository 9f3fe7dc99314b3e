import type { Database } from 'better-sqlite3';
import { MetaTable } from './meta-table.js';

export interface TimeFloorValue {
  at: Date;
  /** What vouched for it: `ntp`, `broker`, `token`, … */
  source: string;
}

/**
 * The newest trusted time the station has seen, kept across restarts. The box may have no
 * real-time clock: after a power cut its clock can restart in the past, and the floor is what
 * the access logic compares it with. It only ever moves forward.
 */
export class TimeFloor {
  private readonly meta: MetaTable;
  private cached: TimeFloorValue | undefined;

  constructor(db: Database) {
    this.meta = new MetaTable(db);
    const stored = this.meta.get<{ at: string; source: string }>('timeFloor');
    if (stored) this.cached = { at: new Date(stored.at), source: stored.source };
  }

  /**
   * Reads and writes `db` from now on (see EventOutbox.rebind): the floor is the newer of the
   * one `db` holds and the one in memory, which is written there if it is the newer.
   */
  rebind(db: Database): void {
    const mine = this.cached;
    this.meta.rebind(db);
    // What was held for the old database is judged afresh against what this one holds.
    this.meta.discardHeld('timeFloor');
    const stored = this.meta.get<{ at: string; source: string }>('timeFloor');
    this.cached = stored ? { at: new Date(stored.at), source: stored.source } : undefined;
    if (mine) this.raise(mine.at, mine.source);
  }

  get(): TimeFloorValue | undefined {
    return this.cached;
  }

  /** Whether the floor in memory is ahead of the one on disk (the disk was full when it moved). */
  get unsaved(): boolean {
    return this.meta.heldKeys.length > 0;
  }

  /**
   * Moves the floor up to `at` if that is newer; returns whether it moved. Written at once: a
   * floor lost to a power cut would let an old clock pass again. On a full disk it moves in
   * memory all the same (the access checks use it at once) and is written by the next raise or
   * `persist`; only a restart before then loses the step.
   */
  raise(at: Date, source: string): boolean {
    if (Number.isNaN(at.getTime())) return false;
    if (this.cached && at.getTime() <= this.cached.at.getTime()) {
      this.persist();
      return false;
    }
    this.cached = { at, source };
    this.meta.setOrHold('timeFloor', { at: at.toISOString(), source });
    return true;
  }

  /** Writes a floor held in memory; returns whether the disk now has it. */
  persist(): boolean {
    return this.meta.flushHeld() === 0;
  }
}
