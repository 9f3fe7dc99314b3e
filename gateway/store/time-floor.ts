import type { Database, Statement } from 'better-sqlite3';

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
  private readonly select: Statement;
  private readonly upsert: Statement;
  private cached: TimeFloorValue | undefined;

  constructor(db: Database) {
    this.select = db.prepare("SELECT value FROM meta WHERE key = 'timeFloor'");
    this.upsert = db.prepare("INSERT INTO meta (key, value) VALUES ('timeFloor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    const row = this.select.get() as { value: string } | undefined;
    if (row) {
      const parsed = JSON.parse(row.value) as { at: string; source: string };
      this.cached = { at: new Date(parsed.at), source: parsed.source };
    }
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
    this.upsert.run(JSON.stringify({ at: at.toISOString(), source }));
    this.cached = { at, source };
    return true;
  }
}
