import type { Database } from 'better-sqlite3';
import { MetaTable } from './meta-table.js';

export interface TimeFloorValue {
  at: Date;
  /** What vouched for it: `ntp`, `broker`, `token`, … */
  source: string;
}

/**
 * How far the floor on disk may trail the one in memory. The floor is read back after a restart,
 * when a box without a real-time clock may have come up in the past: until NTP synchronises it,
 * the access checks take the floor as the least the time can be, and that is behind the real time
 * by however long the power was off, which nobody knows. Fifteen minutes more of that is the price
 * of the idle station's flash: each step on disk is a commit and a sync of its own (12-24 kB of
 * write_bytes measured: the WAL's page and the WAL index's) and, at the anchor's same step, the
 * anchor's slot written over (8 kB). An idle window of one step read 36-40 kB (52 kB when the
 * anchor was a new file renamed over; docs/benchmarks.md): 3.4-3.75 MB a day at one step every
 * fifteen minutes, 5-5.6 at one every ten (issue 22's idle target is 5 MB a day). The clock
 * tick's default period (internal-periods.ts), and the anchor's step (store-anchor.ts).
 */
export const FLOOR_RESOLUTION_MS = 15 * 60_000;

/**
 * The newest trusted time the station has seen, kept across restarts. The box may have no
 * real-time clock: after a power cut its clock can restart in the past, and the floor is what
 * the access logic compares it with. It only ever moves forward.
 */
export class TimeFloor {
  private readonly meta: MetaTable;
  private cached: TimeFloorValue | undefined;
  /**
   * The step on disk (FLOOR_RESOLUTION_MS unless the runtime sets it): the clock tick that raises
   * the floor is this long too, so every tick's raise is written and nothing between them.
   */
  resolutionMs = FLOOR_RESOLUTION_MS;
  /** The floor on disk, in ms, as last read or written. */
  private onDisk: number | undefined;

  constructor(db: Database) {
    this.meta = new MetaTable(db);
    this.readStored();
  }

  private readStored(): void {
    const stored = this.meta.get<{ at: string; source: string }>('timeFloor');
    this.cached = stored ? { at: new Date(stored.at), source: stored.source } : undefined;
    this.onDisk = this.cached?.at.getTime();
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
    this.readStored();
    if (mine && this.raise(mine.at, mine.source)) this.persist();
  }

  get(): TimeFloorValue | undefined {
    return this.cached;
  }

  /** Whether the floor in memory is ahead of the one on disk (the disk was full when it moved). */
  get unsaved(): boolean {
    return this.meta.heldKeys.length > 0;
  }

  /**
   * Moves the floor up to `at` if that is newer; returns whether it moved. In memory at once (the
   * access checks use it); on disk as `persist` decides: a whole step past the floor there at once,
   * a smaller one with the next raise that reaches it, or at stop. On a full disk the floor is held
   * and every raise tries again with the newest; only a restart before then loses the step.
   */
  raise(at: Date, source: string): boolean {
    if (Number.isNaN(at.getTime())) return false;
    const moved = !this.cached || at.getTime() > this.cached.at.getTime();
    if (moved) this.cached = { at, source };
    this.persist();
    return moved;
  }

  /**
   * Writes a floor a full disk held back, or one a whole step (`resolutionMs`) past the floor on disk;
   * `final` (the stop) writes any step. Returns whether the disk has what it must. Called every
   * upkeep round: writing each minute's step here undid the resolution (measured: 31 MB a day idle).
   */
  persist(final = false): boolean {
    if (!this.cached) return true;
    const ahead = this.onDisk === undefined ? Infinity : this.cached.at.getTime() - this.onDisk;
    if (this.unsaved || ahead >= this.resolutionMs || (final && ahead > 0)) this.write();
    return !this.unsaved;
  }

  private write(): void {
    const floor = this.cached;
    if (!floor) return;
    if (this.meta.setOrHold('timeFloor', { at: floor.at.toISOString(), source: floor.source })) this.onDisk = floor.at.getTime();
  }
}
