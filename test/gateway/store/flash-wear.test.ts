import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { ANCHOR_FLOOR_STEP_MS, StoreAnchor, type AnchorRecord } from '../../../gateway/store/store-anchor.js';
import { COMPACT_ABOVE_FREE_BYTES, RETENTION_STEP_MS } from '../../../gateway/store/store-housekeeping.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { FLOOR_RESOLUTION_MS, TimeFloor } from '../../../gateway/store/time-floor.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { useTempStores } from './temp-store.js';
import { walFrames } from './wal-frames.js';

/*
 * What the store writes when nothing happens (issue 22, flash wear): the time floor, the anchor
 * and housekeeping write what changed by enough to matter, and nothing that a restart or a lost
 * database would miss is left unwritten at a clean stop.
 */

const stores = useTempStores();
const DAY = 86_400_000;

function storedFloor(path: string): string | undefined {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'timeFloor'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { at: string }).at : undefined;
  } finally {
    db.close();
  }
}


describe('the time floor on disk', () => {
  it('takes a step of its resolution at once, holds a smaller one in memory through upkeep rounds, and never loses it at a clean stop', () => {
    let store = stores.start();
    const t0 = new Date('2026-12-02T06:00:00Z');
    const floor = store.timeFloor;
    expect(floor.raise(t0, 'clock')).toBe(true);
    expect(storedFloor(stores.path)).toBe(t0.toISOString());

    // A token issued 20 s after the last tick: the floor moves in memory, the disk waits.
    const iat = new Date(t0.getTime() + 20_000);
    expect(floor.raise(iat, 'token')).toBe(true);
    expect(floor.get()?.at).toEqual(iat);
    expect(floor.unsaved).toBe(false);
    expect(storedFloor(stores.path)).toBe(t0.toISOString());

    // Nor does an upkeep round (it runs every minute: writing each step there would undo the resolution).
    expect(floor.persist()).toBe(true);
    expect(storedFloor(stores.path)).toBe(t0.toISOString());

    // A full step is written by the raise itself.
    const tick = new Date(iat.getTime() + FLOOR_RESOLUTION_MS);
    floor.raise(tick, 'clock');
    expect(storedFloor(stores.path)).toBe(tick.toISOString());

    // A small step not persisted yet is written by the stop.
    const late = new Date(tick.getTime() + 5_000);
    floor.raise(late, 'token');
    expect(storedFloor(stores.path)).toBe(tick.toISOString());
    store = stores.restart(store);
    expect(store.timeFloor.get()?.at).toEqual(late);
  });

  it('writes nothing for a raise below the floor, nor an upkeep round for a step below the resolution', () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'floor.db');
      const { db } = openDatabase(path);
      const floor = new TimeFloor(db);
      const t0 = new Date('2026-12-02T06:00:00Z');
      floor.raise(t0, 'clock');
      const frames = walFrames(path);
      expect(frames).toBeGreaterThan(0);
      expect(floor.raise(new Date(t0.getTime() - 1000), 'token')).toBe(false);
      expect(floor.persist()).toBe(true);
      expect(floor.raise(new Date(t0.getTime() + 1000), 'token')).toBe(true);
      expect(walFrames(path)).toBe(frames);
      floor.persist();
      expect(walFrames(path)).toBe(frames);
      // The stop writes the step.
      floor.persist(true);
      expect(walFrames(path)).toBe(frames + 1);
      db.close();
    } finally {
      dir.remove();
    }
  });
});

describe('the store anchor', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  it('is not rewritten for a floor that crept less than its step, and is for a step, or anything else that changed', () => {
    const path = join(dir.path, 'gateway.db.anchor');
    const anchor = new StoreAnchor(path);
    const at = (ms: number): string => new Date(Date.parse('2026-12-02T06:00:00Z') + ms).toISOString();
    const record: AnchorRecord = { life: 'L1', floor: at(0), bootCount: 3 };
    anchor.write(record);
    const written = readFileSync(path, 'utf8');

    anchor.write({ ...record, floor: at(60_000) });
    expect(readFileSync(path, 'utf8')).toBe(written);
    anchor.write({ ...record, floor: at(ANCHOR_FLOOR_STEP_MS - 1) });
    expect(readFileSync(path, 'utf8')).toBe(written);

    anchor.write({ ...record, floor: at(ANCHOR_FLOOR_STEP_MS) });
    expect(anchor.read()?.floor).toBe(at(ANCHOR_FLOOR_STEP_MS));

    // Not the floor alone: written whatever the floor did.
    anchor.write({ ...record, floor: at(ANCHOR_FLOOR_STEP_MS + 1000), bootCount: 4 });
    expect(anchor.read()).toMatchObject({ floor: at(ANCHOR_FLOOR_STEP_MS + 1000), bootCount: 4 });
    anchor.write({ ...record, floor: at(ANCHOR_FLOOR_STEP_MS + 2000), bootCount: 4, settings: { 'cabinet-1:slots': { '3': 'crew' } } });
    expect(anchor.read()?.settings).toEqual({ 'cabinet-1:slots': { '3': 'crew' } });
  });

  it('overwrites the older of its two slots in place, and a slot torn by a cut reads as the one before', () => {
    const path = join(dir.path, 'gateway.db.anchor');
    const at = (ms: number): string => new Date(Date.parse('2026-12-02T06:00:00Z') + ms).toISOString();
    const anchor = new StoreAnchor(path);
    anchor.write({ life: 'L1', floor: at(0) });
    const inode = statSync(path).ino;
    anchor.write({ life: 'L1', floor: at(ANCHOR_FLOOR_STEP_MS) });
    anchor.write({ life: 'L1', floor: at(2 * ANCHOR_FLOOR_STEP_MS) });
    // In place: the same file, no new one renamed over it (a new inode and directory entry each step).
    expect(statSync(path).ino).toBe(inode);
    expect(new StoreAnchor(path).read()?.floor).toBe(at(2 * ANCHOR_FLOOR_STEP_MS));

    // A cut halfway through the newest slot's write: that slot's checksum fails, the other one stands.
    const bytes = readFileSync(path);
    const newest = bytes.indexOf(at(2 * ANCHOR_FLOOR_STEP_MS));
    bytes.write('0000', newest + 2);
    writeFileSync(path, bytes);
    const reread = new StoreAnchor(path);
    expect(reread.read()?.floor).toBe(at(ANCHOR_FLOOR_STEP_MS));
    // The next write goes over the torn slot, not the good one.
    reread.write({ life: 'L1', floor: at(3 * ANCHOR_FLOOR_STEP_MS) });
    expect(new StoreAnchor(path).read()?.floor).toBe(at(3 * ANCHOR_FLOOR_STEP_MS));
    expect(readFileSync(path).subarray(4096).toString('utf8')).toContain(at(ANCHOR_FLOOR_STEP_MS));
  });

  it('reads a file of one plain record (an earlier gateway\'s), and replaces it whole with its first slot', () => {
    const path = join(dir.path, 'gateway.db.anchor');
    writeFileSync(path, `${JSON.stringify({ life: 'L0', floor: '2026-12-02T06:00:00.000Z', bootCount: 7 })}\n`);
    const anchor = new StoreAnchor(path);
    expect(anchor.read()).toEqual({ life: 'L0', floor: '2026-12-02T06:00:00.000Z', bootCount: 7 });
    const inode = statSync(path).ino;
    anchor.write({ life: 'L0', floor: '2026-12-02T07:00:00.000Z', bootCount: 8 });
    expect(statSync(path).ino).not.toBe(inode);
    expect(new StoreAnchor(path).read()).toEqual({ life: 'L0', floor: '2026-12-02T07:00:00.000Z', bootCount: 8 });
  });

  it('keeps settings of any script and a record too big for a slot', () => {
    const path = join(dir.path, 'gateway.db.anchor');
    const anchor = new StoreAnchor(path);
    const chinese = { 'cabinet-1:slots': { '3': '维修中：电池鼓包' } };
    anchor.write({ life: 'L1', settings: chinese });
    anchor.write({ life: 'L1', bootCount: 2, settings: chinese });
    expect(new StoreAnchor(path).read()).toEqual({ life: 'L1', bootCount: 2, settings: chinese });
    const big = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`cabinet-${i}:slots`, { '1': 'crew' }]));
    anchor.write({ life: 'L1', bootCount: 3, settings: big });
    expect(new StoreAnchor(path).read()).toEqual({ life: 'L1', bootCount: 3, settings: big });
    anchor.write({ life: 'L1', bootCount: 4 });
    expect(new StoreAnchor(path).read()).toEqual({ life: 'L1', bootCount: 4 });
  });

  it('is written when the floor first appears', () => {
    const path = join(dir.path, 'gateway.db.anchor');
    const anchor = new StoreAnchor(path);
    anchor.write({ life: 'L1' });
    anchor.write({ life: 'L1', floor: '2026-12-02T06:00:00.000Z' });
    expect(anchor.read()?.floor).toBe('2026-12-02T06:00:00.000Z');
  });
});

describe('housekeeping past the retention', () => {
  /** Delivered door events, one every `everyMs`, from `from` on. */
  function history(store: StationStore, from: number, count: number, everyMs: number): void {
    const events = Array.from({ length: count }, (_, i) => ({ type: 'door.closed', device: 'lock-1', data: { door: 1, i, note: 'x'.repeat(200) }, ts: new Date(from + i * everyMs) }));
    for (let i = 0; i < events.length; i += 1000) store.outbox.appendMany(events.slice(i, i + 1000));
    for (;;) {
      const pending = store.outbox.pending(5000);
      if (pending.length === 0) break;
      store.outbox.markDelivered(pending.map((e) => e.seq));
    }
  }

  it('deletes by whole hours of its cutoff and writes nothing in the rounds between', () => {
    let now = new Date('2026-12-02T06:00:00Z');
    const store = stores.start(() => now);
    const limits = { retainDays: 90, maxBytes: 64 * 1024 * 1024 };
    // Past the retention: an event every 3 minutes, from 91 days ago.
    history(store, now.getTime() - 91 * DAY, 1000, 180_000);
    store.housekeep(limits);
    const frames = walFrames(stores.path);
    let expired = 0;
    for (let minute = 1; minute < 60; minute++) {
      now = new Date(Date.parse('2026-12-02T06:00:00Z') + minute * 60_000);
      expired += store.housekeep(limits).expiredEvents;
    }
    // Within the hour: the cutoff stayed on its hour, nothing expired, nothing written.
    expect(expired).toBe(0);
    expect(walFrames(stores.path)).toBe(frames);
    now = new Date(Date.parse('2026-12-02T06:00:00Z') + RETENTION_STEP_MS);
    expect(store.housekeep(limits).expiredEvents).toBe(RETENTION_STEP_MS / 180_000);
  });

  it('gives pages back to the file system only once enough are free', () => {
    let now = new Date('2026-12-02T06:00:00Z');
    const store = stores.start(() => now);
    const limits = { retainDays: 1, maxBytes: 64 * 1024 * 1024 };
    history(store, now.getTime() - 2 * DAY, 30, 60_000);
    history(store, now.getTime() - 20 * 3_600_000, 5000, 10_000);
    const free = (): number => {
      const db = new BetterSqlite3(stores.path, { readonly: true });
      try {
        return (db.pragma('freelist_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      } finally {
        db.close();
      }
    };
    // Their sessions first, as the first upkeep round would derive them.
    store.sessions.catchUpAll();
    const size = statSync(stores.path).size;
    // A few old events gone: their pages stay in the file, free for the next events.
    expect(store.housekeep(limits).expiredEvents).toBe(30);
    expect(free()).toBeGreaterThan(0);
    expect(free()).toBeLessThan(COMPACT_ABOVE_FREE_BYTES);
    expect(statSync(stores.path).size).toBeGreaterThanOrEqual(size);
    // A day of history gone at once: the pages go back to the file system.
    now = new Date(now.getTime() + DAY);
    expect(store.housekeep(limits).expiredEvents).toBe(5000);
    expect(free()).toBe(0);
    expect(statSync(stores.path).size).toBeLessThan(size);
  });
});

describe('the page size', () => {
  it('is 1 KB for a new database, checkpointed every 4 MB of WAL; a file made with 4 KB pages keeps them', () => {
    const dir = tempDir('page-size-');
    try {
      const fresh = openDatabase(join(dir.path, 'new.db')).db;
      expect(fresh.pragma('page_size', { simple: true })).toBe(1024);
      expect(fresh.pragma('wal_autocheckpoint', { simple: true })).toBe(4096);
      fresh.close();

      // A database as the releases before this one made it: SQLite's default page size.
      const oldFile = join(dir.path, 'old.db');
      const made = new BetterSqlite3(oldFile);
      made.pragma('journal_mode = WAL');
      made.exec('CREATE TABLE before_this_release (x)');
      made.close();
      const old = openDatabase(oldFile).db;
      expect(old.pragma('page_size', { simple: true })).toBe(4096);
      expect(old.pragma('wal_autocheckpoint', { simple: true })).toBe(1024);
      old.close();
    } finally {
      dir.remove();
    }
  });
});
