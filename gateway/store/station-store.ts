import { existsSync, renameSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { AlarmTable } from './alarm-table.js';
import { EventOutbox } from './event-outbox.js';
import { openDatabase } from './open-database.js';
import { ReplayCache } from './replay-cache.js';
import { MetaTable } from './meta-table.js';
import { StoreHousekeeping, type HousekeepingLimits, type HousekeepingReport } from './store-housekeeping.js';
import { StoreClosedError, StoreCorruptError, isCorruption } from './store-errors.js';
import { TimeFloor } from './time-floor.js';
import { UsageSessions } from './usage-sessions.js';

/** A damaged database the store moved aside at start, to be reported as an alarm. */
export interface MovedAside {
  movedTo: string;
  reason: string;
}

interface Parts {
  db: Database;
  outbox: EventOutbox;
  sessions: UsageSessions;
  replay: ReplayCache;
  timeFloor: TimeFloor;
  alarms: AlarmTable;
  meta: MetaTable;
  settings: MetaTable;
  housekeeping: StoreHousekeeping;
}

/**
 * The station's local database as one part with a start/stop life: the composition root opens
 * it first and closes it last, so nothing writes to a closed file. A damaged file never stops
 * the station: it is moved aside for a later rescue and the station goes on with a fresh one.
 */
export class StationStore {
  private parts: Parts | undefined;
  private moved: MovedAside | undefined;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    let db: Database;
    try {
      db = this.openChecked();
    } catch (err) {
      if (!isCorruption(err) && !(err instanceof StoreCorruptError)) throw err;
      this.moved = this.moveAside((err as Error).message);
      // Logged here, once; the runtime turns it into an alarm the cloud sees.
      this.log.error({ path: this.path, movedTo: this.moved.movedTo, reason: this.moved.reason, code: 'STORE_CORRUPT' }, 'database damaged; moved aside, starting with a fresh one');
      db = this.openChecked();
    }
    const sessions = new UsageSessions(db);
    const replay = new ReplayCache(db);
    this.parts = {
      db,
      outbox: new EventOutbox(db, { derive: (e) => sessions.record(e) }),
      sessions,
      replay,
      timeFloor: new TimeFloor(db),
      alarms: new AlarmTable(db),
      meta: new MetaTable(db),
      settings: new MetaTable(db, 'setting:'),
      housekeeping: new StoreHousekeeping(db, replay),
    };
    this.log.info({ path: this.path, pending: this.parts.outbox.pendingCount() }, 'store open');
  }

  /** The damaged file this start moved aside, if any. */
  get movedAside(): MovedAside | undefined {
    return this.moved;
  }

  get outbox(): EventOutbox {
    return this.get().outbox;
  }
  get sessions(): UsageSessions {
    return this.get().sessions;
  }
  get replayCache(): ReplayCache {
    return this.get().replay;
  }
  get timeFloor(): TimeFloor {
    return this.get().timeFloor;
  }
  get alarms(): AlarmTable {
    return this.get().alarms;
  }
  /** Operator settings that survive restarts (a slot taken out of service). */
  get settings(): MetaTable {
    return this.get().settings;
  }

  /** Retention and the disk budget; the caller raises or clears the alarms the report calls for. */
  housekeep(limits: HousekeepingLimits): HousekeepingReport {
    const report = this.get().housekeeping.run(limits, this.now());
    const { expiredEvents, expiredSessions, prunedEvents, forgottenTokens } = report;
    if (expiredEvents + expiredSessions + prunedEvents + forgottenTokens > 0) this.log.info(report, 'housekeeping');
    return report;
  }

  /** Increments and returns the boot counter (part of the bootId the cloud sees). */
  nextBootCount(): number {
    const { db, meta } = this.get();
    return db.transaction(() => {
      const n = (meta.get<number>('bootCount') ?? 0) + 1;
      meta.set('bootCount', n);
      return n;
    })();
  }

  /** Checkpoints the WAL into the main file and closes; afterwards the file stands alone. */
  stop(): void {
    if (!this.parts) return;
    const { db } = this.parts;
    this.parts = undefined;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
      this.log.info({ path: this.path }, 'store closed');
    }
  }

  private get(): Parts {
    if (!this.parts) throw new StoreClosedError('the store is not open');
    return this.parts;
  }

  /**
   * Opens, migrates and checks the file. quick_check reads every page once (about a second per
   * 100 MB on an SD card): the price of finding damage at start rather than at 2 a.m. mid-unlock.
   */
  private openChecked(): Database {
    const { db, migratedFrom, version } = openDatabase(this.path);
    if (migratedFrom !== version) this.log.info({ path: this.path, from: migratedFrom, to: version }, 'database migrated');
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') {
      db.close();
      throw new StoreCorruptError(`integrity check failed: ${check}`);
    }
    return db;
  }

  private moveAside(reason: string): MovedAside {
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const movedTo = `${this.path}.corrupt-${stamp}`;
    // The WAL and its index belong to the damaged file; a fresh database must not replay them.
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(this.path + suffix)) renameSync(this.path + suffix, movedTo + suffix);
    }
    return { movedTo, reason };
  }
}
