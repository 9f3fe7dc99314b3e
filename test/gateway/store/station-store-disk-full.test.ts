import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockTrust } from '../../../gateway/access/clock-trust.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { StoreFullError } from '../../../gateway/store/store-errors.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { MIGRATIONS } from '../../../gateway/store/migrations.js';
import { FLOOR_RESOLUTION_MS } from '../../../gateway/store/time-floor.js';
import { DiskFiller, mountTmpfs, unmount } from '../../chaos/tmpfs.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * The store on a really full file system (a 2 MB tmpfs, root only): it opens, boots and moves
 * its time floor with nothing written, and writes what it held once there is room.
 */

let dir: ReturnType<typeof tempDir> | undefined;
let mounted: string | undefined;
const stores: StationStore[] = [];

afterEach(() => {
  try {
    for (const s of stores.splice(0)) s.stop();
  } finally {
    // Whatever a failed test left open, the mount goes: it must not outlive the test.
    if (mounted) unmount(mounted);
    mounted = undefined;
    dir?.remove();
  }
});

function setUp(ctx: { skip(reason: string): void }): { path: string; filler: DiskFiller } | undefined {
  dir = tempDir('station-store-full-');
  const data = join(dir.path, 'data');
  mkdirSync(data);
  const cannot = mountTmpfs(data, '2m');
  if (cannot) {
    ctx.skip(cannot);
    return undefined;
  }
  mounted = data;
  return { path: join(data, 'gateway.db'), filler: new DiskFiller(join(data, 'filler')) };
}

const open = (path: string): StationStore => {
  const s = new StationStore(path, silentLogger());
  s.start();
  stores.push(s);
  return s;
};

const storedMeta = (path: string, key: string): unknown => {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? JSON.parse(row.value) : undefined;
  } finally {
    db.close();
  }
};

/** Fills the disk, then appends events until SQLite has no page left either (the WAL may keep a frame's room). */
const fillWithEvents = (store: StationStore, filler: DiskFiller): void => {
  filler.fillAgain();
  for (let i = 0; i < 50; i++) {
    try {
      store.outbox.append({ type: 'x', data: { pad: 'x'.repeat(2000) } });
    } catch {
      filler.fillAgain();
    }
  }
};

describe('the store on a full disk', () => {
  it('starts on a full disk after a clean stop, holds the boot counter and time floor, and writes them once there is room', (ctx) => {
    const s = setUp(ctx);
    if (!s) return;
    const first = open(s.path);
    expect(first.nextBootCount()).toBe(1);
    first.timeFloor.raise(new Date('2026-12-01T10:00:00Z'), 'clock');
    first.stop();
    stores.length = 0;

    s.filler.fillAgain();
    // A clean stop removed the -shm index; making it again needs room the disk no longer has.
    const store = open(s.path);
    expect(store.nextBootCount()).toBe(2);
    expect(() => store.outbox.append({ type: 'gateway.started' })).toThrow(StoreFullError);
    const floor = store.timeFloor;
    expect(floor.raise(new Date('2026-12-01T11:00:00Z'), 'clock')).toBe(true);
    expect(floor.get()?.at.toISOString()).toBe('2026-12-01T11:00:00.000Z');
    expect(floor.unsaved).toBe(true);
    expect(store.flushHeld()).toBe(true);

    s.filler.free();
    expect(store.flushHeld()).toBe(false);
    expect(floor.unsaved).toBe(false);
    // Shared again: another reader (station-gateway log) opens the file while the store runs.
    expect(storedMeta(s.path, 'bootCount')).toBe(2);
    expect(storedMeta(s.path, 'timeFloor')).toEqual({ at: '2026-12-01T11:00:00.000Z', source: 'clock' });
    store.outbox.append({ type: 'gateway.started' });
    expect(store.outbox.pendingCount()).toBe(1);
  });

  it('a clock tick on a full disk moves the floor in memory instead of throwing', (ctx) => {
    const s = setUp(ctx);
    if (!s) return;
    const store = open(s.path);
    const start = Date.parse('2026-12-01T10:00:00Z');
    let now = new Date(start);
    const clock = new ClockTrust({ mode: 'system', floor: store.timeFloor, skewMs: 60_000, log: silentLogger(), clock: () => now });
    clock.tick();
    fillWithEvents(store, s.filler);
    // Then writes of the floor's size (one meta row) until three in a row fail: an event needs
    // four pages, so a WAL with room for one more frame takes the floor after an event failed.
    let failed = 0;
    for (let i = 0; i < 200 && failed < 3; i++) {
      try {
        store.probeWrite();
        failed = 0;
      } catch {
        failed++;
        s.filler.fillAgain();
      }
    }
    expect(failed, 'the disk took every write: the test did not fill it').toBe(3);
    // A whole step each: the floor on disk moves by steps of the clock tick.
    now = new Date(start + FLOOR_RESOLUTION_MS);
    expect(() => clock.tick()).not.toThrow();
    expect(store.timeFloor.get()?.at).toEqual(now);
    expect(store.timeFloor.unsaved).toBe(true);
    s.filler.free();
    now = new Date(start + 2 * FLOOR_RESOLUTION_MS);
    clock.tick();
    expect(store.timeFloor.unsaved).toBe(false);
    expect(storedMeta(s.path, 'timeFloor')).toEqual({ at: now.toISOString(), source: 'clock' });
  });

  it('a write probe on a full disk fails even when the clock stands still', (ctx) => {
    const s = setUp(ctx);
    if (!s) return;
    const frozen = new Date('2026-12-01T10:00:00Z');
    const store = new StationStore(s.path, silentLogger(), () => frozen);
    store.start();
    stores.push(store);
    store.probeWrite();
    fillWithEvents(store, s.filler);
    // A probe of the time wrote the row it already held: SQLite skipped the page and it never failed.
    let failures = 0;
    for (let i = 0; i < 100; i++) {
      try {
        store.probeWrite();
      } catch (err) {
        expect(err).toBeInstanceOf(StoreFullError);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(90);
  });

  it('an upgrade whose migration cannot be written runs on a stand-in, and moves to the migrated file once there is room', (ctx) => {
    const s = setUp(ctx);
    if (!s) return;
    // A file from the gateway before this one: schema version 2, three boots, an event not yet delivered.
    const old = openDatabase(s.path, { migrations: MIGRATIONS.slice(0, 2) }).db;
    old.prepare("INSERT INTO meta (key, value) VALUES ('bootCount', '3')").run();
    old.prepare("INSERT INTO events (id, ts, type, data) VALUES ('01OLD', '2026-11-30T00:00:00.000Z', 'door.closed', '{}')").run();
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    s.filler.fillAgain();

    const store = open(s.path);
    expect(store.nextBootCount()).toBe(1); // the stand-in knows nothing of the file
    expect(() => store.outbox.append({ type: 'gateway.started' })).toThrow(StoreFullError);
    expect(() => store.replayCache.claim('j-1', new Date(Date.now() + 60_000))).toThrow(StoreFullError);
    expect(store.flushHeld()).toBe(true);

    s.filler.free();
    expect(store.flushHeld()).toBe(false);
    expect(storedMeta(s.path, 'bootCount')).toBe(4);
    expect(store.outbox.pending(10).map((e) => e.id)).toEqual(['01OLD']);
    store.outbox.append({ type: 'gateway.started' });
    expect(store.replayCache.claim('j-1', new Date(Date.now() + 60_000))).toEqual({ first: true });
    expect(store.outbox.pendingCount()).toBe(2);
  });

  it('a first start on a full disk comes up on a stand-in and creates the file once there is room', (ctx) => {
    const s = setUp(ctx);
    if (!s) return;
    s.filler.fillAgain();
    const store = open(s.path);
    store.timeFloor.raise(new Date('2026-12-01T12:00:00Z'), 'clock');
    expect(store.timeFloor.unsaved).toBe(true);
    s.filler.free();
    expect(store.flushHeld()).toBe(false);
    expect(storedMeta(s.path, 'timeFloor')).toEqual({ at: '2026-12-01T12:00:00.000Z', source: 'clock' });
  });
});
