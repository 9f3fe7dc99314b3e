import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrate, MIGRATIONS, type Migration } from './migrations.js';

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the station database with the durability settings the usage log
 * needs. WAL lets the cloud bridge read the outbox while events are written. synchronous=FULL
 * syncs the WAL on every commit: an access or usage event reported as written survives a power
 * cut (NORMAL may lose the last commits, PITFALLS). The cost is one fsync per transaction, which
 * is why writers batch where they can.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): { db: Database; migratedFrom: number; version: number } {
  mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path);
  try {
    // Incremental auto-vacuum lets retention give pages back to the SD card without a full
    // VACUUM (which needs twice the space and locks the file). It only takes effect on a new file.
    if ((db.pragma('user_version', { simple: true }) as number) === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const { from, to } = migrate(db, options.migrations ?? MIGRATIONS);
    return { db, migratedFrom: from, version: to };
  } catch (err) {
    db.close();
    throw err;
  }
}
