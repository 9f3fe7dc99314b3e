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

  get(): TimeFloorValue | undefined {
    return this.cached;
  }

  /**
   * Moves the floor up to `at` if that is newer; returns whether it moved. Written at once: a
   * floor lost to a power cut would let an old clock pass again.
   */
  raise(at: Date, source: string): boolean {
    if (Number.isNaN(at.getTime())) return false;
    if (this.cached && at.getTime() <= this.cached.at.getTime()) return false;
    this.meta.set('timeFloor', { at: at.toISOString(), source });
    this.cached = { at, source };
    return true;
  }
}
