import { existsSync, renameSync, statSync } from 'node:fs';
import { ulid } from 'ulid';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { AlarmTable } from './alarm-table.js';
import { EventOutbox } from './event-outbox.js';
import { openDatabase, shareDatabase } from './open-database.js';
import { ReplayCache } from './replay-cache.js';
import { StoreAnchor, anchorPath, type AnchorRecord } from './store-anchor.js';
import { MetaTable } from './meta-table.js';
import { StoreHousekeeping, type HousekeepingLimits, type HousekeepingReport } from './store-housekeeping.js';
import { StoreClosedError, StoreCorruptError, StoreFullError, isCorruption, isDiskFull } from './store-errors.js';
import { TimeFloor } from './time-floor.js';
import { UsageSessions } from './usage-sessions.js';

/** A damaged database the store moved aside at start, to be reported as an alarm. */
export interface MovedAside {
  movedTo: string;
  reason: string;
}

/** A fresh database where the anchor remembers an earlier one: the store was lost, not new. */
export interface LostStore {
  /** What the file was at start: gone, 0 bytes, or a database of another life (a fresh or restored file). */
  reason: 'missing' | 'empty' | 'replaced';
  /** The life the anchor remembers. */
  life: string;
}

type FileState = 'missing' | 'empty' | 'present';

/**
 * How long after a write the usage sessions catch up with the log. Every catch-up writes the
 * session table's pages, its three indexes' and the cursor's, however few sessions it adds, so
 * the longer the window, the more visits share them: at 10 s a catch-up held about one visit's
 * events, and the sessions cost 0.8 of a page an event (issue 22). Five minutes holds the visits
 * of a busy station's rush. Reads that list sessions catch up first, and so does an upkeep round
 * that deletes events, so only the crew's read-only `log` command can see them lag.
 */
export const SESSIONS_CATCH_UP_MS = 300_000;

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
  /** Opened on a full disk without the shared WAL index; shared again once there is room. */
  private exclusive = false;
  /**
   * The file could not be opened or brought up to date (a full disk at a first start, a
   * migration, a fresh file after a damaged one): the parts run on an empty read-only database in
   * memory, every write refused as STORE_FULL, until `flushHeld` can open the file.
   */
  private standIn = false;
  /** None for an in-memory database (tests): nothing outlives it, and nothing is written beside it. */
  private readonly anchor: StoreAnchor | undefined;
  private fileAtStart: FileState = 'present';
  private lostStore: LostStore | undefined;
  private reset: Date | undefined;
  private anchorFailing = false;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private catchUpFailing = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.anchor = path === ':memory:' || path === '' ? undefined : new StoreAnchor(anchorPath(path));
  }

  start(): void {
    this.fileAtStart = !existsSync(this.path) ? 'missing' : statSync(this.path).size === 0 ? 'empty' : 'present';
    let db: Database;
    try {
      db = this.openOrStandIn();
    } catch (err) {
      if (!isCorruption(err) && !(err instanceof StoreCorruptError)) throw err;
      this.moved = this.moveAside((err as Error).message);
      // Logged here, once; the runtime turns it into an alarm the cloud sees.
      this.log.error({ path: this.path, movedTo: this.moved.movedTo, reason: this.moved.reason, code: 'STORE_CORRUPT' }, 'database damaged; moved aside, starting with a fresh one');
      db = this.openOrStandIn();
    }
    const replay = new ReplayCache(db);
    const sessions = new UsageSessions(db);
    this.parts = {
      db,
      outbox: new EventOutbox(db),
      sessions,
      replay,
      timeFloor: new TimeFloor(db),
      alarms: new AlarmTable(db),
      meta: new MetaTable(db),
      // Mirrored into the anchor as soon as written: the database may be lost the next moment.
      settings: new MetaTable(db, 'setting:', () => this.writeAnchor()),
      housekeeping: new StoreHousekeeping(db, replay),
    };
    // Rebinding keeps the outbox, so this holds after a stand-in too.
    this.parts.outbox.on('appended', () => this.scheduleCatchUp());
    this.log.info({ path: this.path, pending: this.parts.outbox.pendingCount() }, 'store open');
    if (!this.standIn) {
      this.checkLife();
      this.startSessions();
    }
    if (this.exclusive) {
      this.log.error(
        { path: this.path, code: 'STORE_FULL' },
        'disk full at start: database opened in exclusive mode (other readers wait until there is room); what cannot be written is held in memory',
      );
    }
  }

  /**
   * Writes what was held in memory while the disk was full (the boot counter, the time floor)
   * and gives up exclusive mode once it can. Safe to call at any time; returns whether anything
   * is still waiting for room. `final` at the stop: the time floor's last step too (TimeFloor.persist).
   */
  flushHeld(final = false): boolean {
    if (this.standIn && !this.reopen()) return true;
    const { db, meta, timeFloor } = this.get();
    if (this.exclusive) {
      try {
        shareDatabase(db);
        this.exclusive = false;
        this.log.info({ path: this.path }, 'disk has room again: database shared with other readers');
      } catch (err) {
        if (!isDiskFull(err)) throw err;
      }
    }
    const waiting = meta.flushHeld() > 0 || !timeFloor.persist(final);
    return waiting || this.exclusive;
  }

  /** A lost database found at this start (a fresh file where the anchor remembers another), if any. */
  get lost(): LostStore | undefined {
    return this.lostStore;
  }

  /**
   * When the store was last reset (lost or damaged, replaced by a fresh file): no token issued
   * before it may be used, since the replay cache that knew them is gone.
   */
  get resetAt(): Date | undefined {
    return this.reset;
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
    // Every round is also a chance to write what a full disk held back.
    this.flushHeld();
    this.writeAnchor();
    // A catch-up that failed is tried again every round; otherwise only a round that deletes
    // events derives first (nothing leaves the log underived): a round a minute would otherwise
    // cut the catch-up's window to a minute.
    if (this.catchUpFailing) this.deriveSessions();
    const report = this.get().housekeeping.run(limits, this.now(), () => this.deriveSessions());
    const { expiredEvents, expiredSessions, prunedEvents, forgottenTokens } = report;
    if (expiredEvents + expiredSessions + prunedEvents + forgottenTokens > 0) this.log.info(report, 'housekeeping');
    return report;
  }

  /**
   * Increments and returns the boot counter (part of the bootId the cloud sees). On a full disk
   * the new count is held in memory and written by `flushHeld`: a station must boot whatever the
   * disk says (two boots in a row on a full disk may then report the same count).
   */
  nextBootCount(): number {
    const { meta } = this.get();
    const n = (meta.get<number>('bootCount') ?? 0) + 1;
    if (!meta.setOrHold('bootCount', n)) this.log.error({ bootCount: n, code: 'STORE_FULL' }, 'disk full: boot counter held in memory until there is room');
    return n;
  }

  /** One write read back, for a health check; throws (STORE_FULL, STORE_CLOSED, ...) when the store takes no writes. */
  probeWrite(): void {
    const { meta } = this.get();
    // Never the value stored: SQLite leaves a page alone when the new row is byte for byte the
    // old one, so a probe of the time took no write at all when two fell in one millisecond.
    const token = ulid();
    meta.set('probe', token);
    if (meta.get<string>('probe') !== token) throw new Error('the store did not read back what it wrote');
  }

  /** Checkpoints the WAL into the main file and closes; afterwards the file stands alone. */
  stop(): void {
    if (!this.parts) return;
    clearTimeout(this.catchUpTimer);
    this.catchUpTimer = undefined;
    this.deriveSessions();
    this.flushHeldQuietly();
    const { db } = this.parts;
    this.parts = undefined;
    try {
      if (!this.standIn) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      // A full disk cannot take the checkpoint; the WAL keeps the commits and the next open replays it.
      if (!isDiskFull(err)) throw err;
      this.log.warn({ path: this.path, code: 'STORE_FULL' }, 'disk full: the WAL could not be checkpointed at stop; it is replayed at the next start');
    } finally {
      db.close();
      this.log.info({ path: this.path }, 'store closed');
    }
  }

  private openOrStandIn(): Database {
    try {
      return this.openChecked();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.standIn = true;
      this.log.error(
        { path: this.path, code: 'STORE_FULL', reason: (err as Error).message },
        'disk full at start: the database cannot be opened or brought up to date; running on an empty stand-in in memory, every write held or refused, the file tried again every upkeep round',
      );
      const { db } = openDatabase(':memory:');
      db.pragma('query_only = 1');
      return db;
    }
  }

  /** Moves every part from the stand-in to the file once it opens; returns whether it did. */
  private reopen(): boolean {
    let db: Database;
    try {
      db = this.openChecked();
    } catch (err) {
      if (isDiskFull(err)) return false;
      throw err;
    }
    const parts = this.get();
    const bootHeld = parts.meta.heldKeys.includes('bootCount');
    for (const part of [parts.outbox, parts.sessions, parts.replay, parts.timeFloor, parts.alarms, parts.meta, parts.settings, parts.housekeeping]) part.rebind(db);
    if (bootHeld) {
      // The stand-in counted from nothing; the file knows the boots before this one.
      parts.meta.discardHeld('bootCount');
      parts.meta.setOrHold('bootCount', (parts.meta.get<number>('bootCount') ?? 0) + 1);
    }
    parts.db.close();
    parts.db = db;
    this.standIn = false;
    this.log.info({ path: this.path, pending: parts.outbox.pendingCount() }, 'disk has room again: the database file is open, the stand-in is gone');
    this.checkLife();
    this.startSessions();
    return true;
  }

  /**
   * Compares the database's life with the anchor's. A fresh file where the anchor remembers
   * another life, or a damaged one moved aside, is a reset: the replay cache is gone, so the
   * time floor is restored from the anchor and no token issued before now may be used.
   */
  private checkLife(): void {
    const { meta, timeFloor } = this.get();
    const anchor = this.anchor?.read();
    const life = meta.get<string>('storeLife');
    const lost = anchor !== undefined && life !== anchor.life;
    if (lost) {
      this.lostStore = { reason: this.fileAtStart === 'present' ? 'replaced' : this.fileAtStart, life: anchor.life };
      this.log.error(
        { path: this.path, code: 'STORE_LOST', reason: this.lostStore.reason, life: anchor.life, floor: anchor.floor },
        'database lost: a fresh file where the anchor remembers an earlier one; tokens issued before now are refused',
      );
    }
    if (lost || this.moved) {
      const times = [this.now().getTime(), Date.parse(anchor?.floor ?? ''), Date.parse(anchor?.resetAt ?? '')].filter((t) => !Number.isNaN(t));
      this.reset = new Date(Math.max(...times));
      meta.setOrHold('storeResetAt', this.reset.toISOString());
    } else {
      const stored = [meta.get<string>('storeResetAt'), anchor?.resetAt].map((t) => Date.parse(t ?? '')).filter((t) => !Number.isNaN(t));
      if (stored.length > 0) this.reset = new Date(Math.max(...stored));
    }
    if (anchor?.floor) timeFloor.raise(new Date(anchor.floor), 'anchor');
    if (lost || this.moved || !life) meta.setOrHold('storeLife', ulid());
    if (lost || this.moved) this.restoreSettings(anchor?.settings);
    this.writeAnchor();
  }

  /**
   * A reset file starts without the operator settings; the anchor's mirror of them comes back
   * (a slot an operator took out of service stays out). Settings the fresh file already holds win.
   */
  private restoreSettings(mirrored: Record<string, unknown> | undefined): void {
    if (!mirrored) return;
    const { settings } = this.get();
    const keys = Object.keys(mirrored).filter((key) => settings.get(key) === undefined);
    for (const key of keys) settings.setOrHold(key, mirrored[key]);
    if (keys.length > 0) this.log.warn({ path: this.path, settings: keys }, 'operator settings restored from the store anchor after a reset');
  }

  /** Keeps the anchor up to date (floor, reset, boots); a full disk leaves the last one, logged once. */
  private writeAnchor(): void {
    if (this.standIn || !this.parts || !this.anchor) return;
    const { meta, timeFloor, settings: operatorSettings } = this.parts;
    const life = meta.get<string>('storeLife');
    // Only a life the database holds too: an anchor ahead of its file would read as a lost store.
    if (!life || meta.heldKeys.includes('storeLife')) return;
    const record: AnchorRecord = { life, floor: timeFloor.get()?.at.toISOString(), resetAt: this.reset?.toISOString(), bootCount: meta.get<number>('bootCount') };
    const settings = operatorSettings.all();
    if (Object.keys(settings).length > 0) record.settings = settings;
    try {
      this.anchor.write(record);
      this.anchorFailing = false;
    } catch (err) {
      if (!this.anchorFailing) this.log.warn({ path: anchorPath(this.path), err: (err as Error).message }, 'cannot write the store anchor; tried again every upkeep round');
      this.anchorFailing = true;
    }
  }

  /** At open: sessions another gateway derived are taken as they are, and what a cut left underived is derived now. */
  private startSessions(): void {
    try {
      if (this.get().sessions.adoptForeignSessions()) this.log.warn({ path: this.path }, 'usage sessions written by another gateway version since the last start: taken as derived');
    } catch (err) {
      if (!(err instanceof StoreFullError)) throw err;
    }
    this.deriveSessions();
  }

  /** One catch-up timer at a time, from the first write after the last catch-up. */
  private scheduleCatchUp(): void {
    if (this.catchUpTimer !== undefined) return;
    this.catchUpTimer = setTimeout(() => {
      this.catchUpTimer = undefined;
      this.deriveSessions();
    }, SESSIONS_CATCH_UP_MS);
    // A pending catch-up never keeps the process alive: stop() runs it.
    this.catchUpTimer.unref();
  }

  /**
   * Derives now what the usage sessions lack: on the timer, before upkeep deletes events, at start and stop, and
   * for a reader on a connection of its own (`cmd/logs` opens the file read-only). A failure is
   * logged here and left for the next write's timer or upkeep round: the events are safe, and the
   * reader lists what is derived. The stand-in has no events.
   */
  deriveSessions(): void {
    if (this.standIn || !this.parts) return;
    try {
      this.parts.sessions.catchUpAll();
      this.catchUpFailing = false;
    } catch (err) {
      // Once until a catch-up works again: the timer retries after every write.
      if (!this.catchUpFailing) {
        if (err instanceof StoreFullError) this.log.warn({ path: this.path, code: 'STORE_FULL' }, 'disk full: usage sessions not derived; tried again after the next write and every upkeep round');
        else this.log.error({ err, path: this.path, code: 'STORE_SESSIONS_BEHIND' }, 'usage sessions could not be derived; tried again after the next write and every upkeep round');
      }
      this.catchUpFailing = true;
    }
  }

  private flushHeldQuietly(): void {
    this.writeAnchor();
    try {
      if (this.flushHeld(true)) this.log.warn({ path: this.path, code: 'STORE_FULL' }, 'disk full at stop: values held in memory are lost (boot counter, time floor)');
    } catch (err) {
      this.log.error({ err, path: this.path }, 'held values could not be written at stop');
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
    const { db, migratedFrom, version, exclusive } = openDatabase(this.path);
    this.exclusive = exclusive;
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
