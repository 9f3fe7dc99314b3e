import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { addToSchema, ADDITIONS, migrate, MIGRATIONS, type Addition, type Migration } from './migrations.js';
import { isDiskFull } from './store-errors.js';

export interface OpenDatabaseOptions {
  migrations?: readonly Migration[];
  /** Schema additions (migrations.ts); all of them unless a test asks for an older file. */
  additions?: readonly Addition[];
}

export interface OpenedDatabase {
  db: Database;
  migratedFrom: number;
  version: number;
  /**
   * Opened on a full disk without a shared-memory WAL index (`locking_mode=EXCLUSIVE`): the file
   * reads as usual, but no other process can read it until `shareDatabase` succeeds.
   */
  exclusive: boolean;
}

/**
 * The page size of a database the gateway creates. 1 KB, not SQLite's 4 KB: every commit writes
 * each page it touched whole, and an event touches about ten (its row, the indexes, its session)
 * with a few hundred bytes of its own. Measured with a bare writer, one event and one fsync per
 * commit: 26.5 kB of write_bytes at 4 KB pages, 11.5 kB at 1 KB (docs/benchmarks.md, flash wear).
 * Rows stay under a page; reads and batches measured the same.
 */
export const STORE_PAGE_SIZE = 1024;

/** The WAL's size at which a commit checkpoints it into the file (SQLite's 1000 pages of 4 KB). */
const WAL_CHECKPOINT_BYTES = 4 << 20;

/**
 * Opens (creating if needed) the station database with the durability settings the usage log
 * needs. WAL lets the cloud bridge read the outbox while events are written. synchronous=FULL
 * syncs the WAL on every commit: an access or usage event reported as written survives a power
 * cut (NORMAL may lose the last commits, PITFALLS). The cost is one fsync per transaction, which
 * is why writers batch where they can.
 *
 * A WAL database needs its `-shm` index, and making one writes to the disk: after a clean stop
 * (which removes it) a full disk refuses the open itself (SQLITE_IOERR_SHMSIZE), and every restart
 * would die at once. Then the file is opened again in exclusive locking mode, where SQLite keeps
 * the index in heap memory: the station reads its log, replay cache and floor and runs, holding
 * what it cannot write.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  mkdirSync(dirname(path), { recursive: true });
  try {
    return openWith(path, options, false);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    return openWith(path, options, true);
  }
}

function openWith(path: string, options: OpenDatabaseOptions, exclusive: boolean): OpenedDatabase {
  const db = new BetterSqlite3(path);
  try {
    // Before the first access of a WAL file, or SQLite maps the -shm file anyway.
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
    if ((db.pragma('user_version', { simple: true }) as number) === 0) {
      // Only a new file takes it: an existing one keeps its size (a change needs a VACUUM out of
      // WAL mode), and every release reads both.
      db.pragma(`page_size = ${STORE_PAGE_SIZE}`);
      // Incremental auto-vacuum lets retention give pages back to the SD card without a full
      // VACUUM (which needs twice the space and locks the file). It only takes effect on a new file.
      db.pragma('auto_vacuum = INCREMENTAL');
    }
    db.pragma('journal_mode = WAL');
    // A checkpoint every 4 MB of WAL whatever the page size, as SQLite's default 1000 pages are at
    // 4 KB: pages an event rewrites again before it are copied into the file once.
    db.pragma(`wal_autocheckpoint = ${Math.round(WAL_CHECKPOINT_BYTES / (db.pragma('page_size', { simple: true }) as number))}`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const { from, to } = migrate(db, options.migrations ?? MIGRATIONS);
    addToSchema(db, options.additions ?? ADDITIONS);
    return { db, migratedFrom: from, version: to, exclusive };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Leaves the exclusive mode of a database opened on a full disk, once there is room: other
 * readers (`station-gateway log`, doctor) can open it again. SQLite only leaves exclusive locking
 * through a journal mode without WAL, so the WAL is checkpointed into the file on the way.
 * Throws (SQLITE_FULL) while there is still no room; the database stays as it was.
 */
export function shareDatabase(db: Database): void {
  db.pragma('journal_mode = DELETE');
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
}
