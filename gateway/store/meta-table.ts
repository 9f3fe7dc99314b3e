import type { Database, Statement } from 'better-sqlite3';

/**
 * The `meta` table as JSON values by key: the boot counter, the time floor, an operator's
 * settings (under a prefix of their own). Each write is its own transaction: a value
 * acknowledged to its caller is on disk.
 */
export class MetaTable {
  private readonly select: Statement;
  private readonly upsert: Statement;

  /** `prefix` keeps one user's keys apart from another's (`setting:` for operator settings). */
  constructor(
    db: Database,
    private readonly prefix = '',
  ) {
    this.select = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.upsert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  get<T>(key: string): T | undefined {
    const row = this.select.get(this.prefix + key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.upsert.run(this.prefix + key, JSON.stringify(value));
  }
}
