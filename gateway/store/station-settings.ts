import type { Database, Statement } from 'better-sqlite3';

/**
 * Small settings an operator changes at run time (a slot taken out of service), kept in the
 * `meta` table as JSON under `setting:<key>` so they survive restarts. Each write is its own
 * transaction: a setting acknowledged to an operator is on disk.
 */
export class StationSettings {
  private readonly select: Statement;
  private readonly upsert: Statement;

  constructor(db: Database) {
    this.select = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.upsert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  get<T>(key: string): T | undefined {
    const row = this.select.get(`setting:${key}`) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.upsert.run(`setting:${key}`, JSON.stringify(value));
  }
}
