import type { Database, Statement } from 'better-sqlite3';
import { StoreFullError, translateWriteError } from './store-errors.js';

/**
 * The `meta` table as JSON values by key: the boot counter, the time floor, an operator's
 * settings (under a prefix of their own). Each write is its own transaction: a value
 * acknowledged to its caller is on disk.
 */
export class MetaTable {
  private select!: Statement;
  private selectPrefixed!: Statement;
  private upsert!: Statement;
  /** Values `setOrHold` could not write (disk full), newest per key, written by `flushHeld`. */
  private readonly held = new Map<string, unknown>();

  /**
   * `prefix` keeps one user's keys apart from another's (`setting:` for operator settings);
   * `written` runs after each durable `set` (the store mirrors operator settings into its anchor).
   */
  constructor(
    db: Database,
    private readonly prefix = '',
    private readonly written: () => void = () => undefined,
  ) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind); values still held stay held. */
  rebind(db: Database): void {
    this.select = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.selectPrefixed = db.prepare('SELECT key, value FROM meta WHERE substr(key, 1, ?) = ? ORDER BY key');
    this.upsert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  /** The value as this process knows it: one still held in memory wins over the stored one. */
  get<T>(key: string): T | undefined {
    if (this.held.has(key)) return this.held.get(key) as T;
    const row = this.select.get(this.prefix + key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Writes durably; throws StoreFullError when the disk is full (the caller must not go on as if written). */
  set(key: string, value: unknown): void {
    try {
      this.upsert.run(this.prefix + key, JSON.stringify(value));
    } catch (err) {
      translateWriteError(err);
    }
    this.held.delete(key);
    this.written();
  }

  /** Every value under this table's prefix, keys without it; held values win, as in `get`. */
  all(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const row of this.selectPrefixed.all(this.prefix.length, this.prefix) as Array<{ key: string; value: string }>) {
      out[row.key.slice(this.prefix.length)] = JSON.parse(row.value) as unknown;
    }
    for (const [key, value] of this.held) out[key] = value;
    return out;
  }

  /**
   * Writes, or on a full disk keeps the value in memory to be written by `flushHeld`: for values
   * the station must go on with either way (the boot counter, the time floor). Returns whether
   * it is on disk.
   */
  setOrHold(key: string, value: unknown): boolean {
    try {
      this.set(key, value);
      return true;
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
      this.held.set(key, value);
      return false;
    }
  }

  /** Forgets a held value (its owner decides afresh what to write). */
  discardHeld(key: string): void {
    this.held.delete(key);
  }

  /** Keys waiting in memory for the disk. */
  get heldKeys(): string[] {
    return [...this.held.keys()];
  }

  /** Writes what `setOrHold` held; returns how many are still held (the disk is still full). */
  flushHeld(): number {
    for (const [key, value] of [...this.held]) {
      if (!this.setOrHold(key, value)) break;
    }
    return this.held.size;
  }
}
