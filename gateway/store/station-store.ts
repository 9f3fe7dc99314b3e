import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { EventOutbox } from './event-outbox.js';
import { openDatabase } from './open-database.js';

/**
 * The station's local database as one part with a start/stop life: the composition root opens
 * it first and closes it last, so nothing writes to a closed file.
 */
export class StationStore {
  private database: Database | undefined;
  private eventOutbox: EventOutbox | undefined;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { db, migratedFrom, version } = openDatabase(this.path);
    this.database = db;
    this.eventOutbox = new EventOutbox(db);
    if (migratedFrom !== version) this.log.info({ path: this.path, from: migratedFrom, to: version }, 'database migrated');
    this.log.info({ path: this.path, version, pending: this.eventOutbox.pendingCount() }, 'store open');
  }

  get outbox(): EventOutbox {
    if (!this.eventOutbox) throw new Error('store is not started');
    return this.eventOutbox;
  }

  /** Increments and returns the boot counter (part of the bootId the cloud sees). */
  nextBootCount(): number {
    const db = this.db();
    return db.transaction(() => {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'bootCount'").get() as { value: string } | undefined;
      const n = (row ? Number(row.value) : 0) + 1;
      db.prepare("INSERT INTO meta (key, value) VALUES ('bootCount', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(n));
      return n;
    })();
  }

  /** Checkpoints the WAL into the main file and closes; afterwards the file stands alone. */
  stop(): void {
    if (!this.database) return;
    try {
      this.database.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.database.close();
      this.database = undefined;
      this.eventOutbox = undefined;
      this.log.info({ path: this.path }, 'store closed');
    }
  }

  private db(): Database {
    if (!this.database) throw new Error('store is not started');
    return this.database;
  }
}
