import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationAlarms } from '../../../gateway/station/station-alarms.js';
import { STORE_BUDGET_ALARM, StoreUpkeep } from '../../../gateway/station/store-upkeep.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { PRUNE_ABOVE, PRUNE_TO } from '../../../gateway/store/store-housekeeping.js';
import { useTempStores } from './temp-store.js';

const stores = useTempStores();
const startStore = stores.start;

const DAY = 86_400_000;
const filler = 'x'.repeat(400);

/** `n` events in one transaction, `delivered` of them acknowledged, timestamped from `start` on. */
function fill(store: StationStore, n: number, delivered: number, start: Date): void {
  const events = Array.from({ length: n }, (_, i) => ({ type: 'device.online', device: 'lock-1', data: { i, filler }, ts: new Date(start.getTime() + i * 1000) }));
  store.outbox.appendMany(events);
  const added = store.outbox.pending(1_000_000).slice(-n);
  store.outbox.markDelivered(added.slice(0, delivered).map((e) => e.seq));
}

describe('retention', () => {
  it('deletes delivered events and sessions older than retainDays, never undelivered ones, and forgets expired jtis', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    const store = startStore(() => now);
    fill(store, 10, 6, new Date(now.getTime() - 40 * DAY)); // 6 old delivered, 4 old undelivered
    fill(store, 5, 5, new Date(now.getTime() - 1 * DAY)); // recent, delivered
    store.outbox.append({ type: 'water.dispensed', device: 'water-1', data: { litres: 1 }, ts: new Date(now.getTime() - 40 * DAY) });
    store.outbox.append({ type: 'water.dispensed', device: 'water-1', data: { litres: 2 }, ts: new Date(now.getTime() - DAY) });
    store.replayCache.claim('old', new Date(now.getTime() - 1000));
    store.replayCache.claim('live', new Date(now.getTime() + 60_000));

    const report = store.housekeep({ retainDays: 30, maxBytes: 512 * 1024 * 1024 });
    expect(report).toMatchObject({ expiredEvents: 6, expiredSessions: 1, prunedEvents: 0, forgottenTokens: 1, level: 'ok' });
    expect(store.outbox.pendingCount()).toBe(6); // 4 old undelivered + 2 water events
    expect(store.sessions.list().map((s) => s.data['litres'])).toEqual([2]);
    expect(store.replayCache.has('live')).toBe(true);
  });
});

describe('disk budget', () => {
  it('makes room from delivered history first, oldest first, and raises then clears the budget alarm', () => {
    const store = startStore();
    const alarms = new StationAlarms(store.alarms, store.outbox, silentLogger());
    fill(store, 3000, 2900, new Date(Date.now() - DAY));
    const used = store.housekeep({ retainDays: 90, maxBytes: 2 ** 40 }).usedBytes;
    const maxBytes = Math.floor(used / (PRUNE_ABOVE + 0.05)); // just over the pruning threshold
    const newestDelivered = store.outbox.pending(1)[0]!.seq - 1;

    const upkeep = new StoreUpkeep(store, alarms, { retainDays: 90, maxBytes }, silentLogger());
    const report = upkeep.runOnce()!;
    expect(report.level).toBe('pruned');
    expect(report.prunedEvents).toBeGreaterThan(0);
    expect(report.usedBytes).toBeLessThanOrEqual(maxBytes * PRUNE_TO);
    // Every undelivered event is still there, and what was deleted was the oldest.
    expect(store.outbox.pendingCount()).toBe(100 + 1); // + alarm.raised
    const db = new BetterSqlite3(stores.path, { readonly: true });
    const oldestKept = db.prepare('SELECT min(seq) FROM events').pluck().get() as number;
    const keptDelivered = db.prepare('SELECT count(*) FROM events WHERE delivered_at IS NOT NULL').pluck().get() as number;
    db.close();
    expect(keptDelivered).toBe(2900 - report.prunedEvents);
    expect(oldestKept).toBe(report.prunedEvents + 1);
    expect(newestDelivered).toBe(2900);
    expect(alarms.active()).toEqual([expect.objectContaining({ alarm: STORE_BUDGET_ALARM, severity: 'major' })]);
    // The file gave the pages back to the file system (incremental auto-vacuum).
    expect(statSync(stores.path).size).toBeLessThan(used);

    // Retention catches up (the history ages out): the alarm clears once use falls to half.
    const later = new StoreUpkeep(store, alarms, { retainDays: 90, maxBytes: maxBytes * 4 }, silentLogger());
    later.runOnce();
    expect(alarms.active()).toEqual([]);
  });

  it('keeps every undelivered event when they alone fill the budget, and says so with a critical alarm', () => {
    const store = startStore();
    const alarms = new StationAlarms(store.alarms, store.outbox, silentLogger());
    fill(store, 2000, 200, new Date(Date.now() - DAY));
    const used = store.housekeep({ retainDays: 90, maxBytes: 2 ** 40 }).usedBytes;
    const report = new StoreUpkeep(store, alarms, { retainDays: 90, maxBytes: Math.floor(used / 2) }, silentLogger()).runOnce()!;
    expect(report).toMatchObject({ level: 'over', prunedEvents: 200 });
    expect(store.outbox.pendingCount()).toBe(1800 + 1);
    expect(alarms.active()).toEqual([expect.objectContaining({ alarm: STORE_BUDGET_ALARM, severity: 'critical' })]);
  });
});

describe('a damaged database file', () => {
  it('is moved aside when it is not a database at all, and the station goes on with a fresh one', () => {
    writeFileSync(stores.path, 'this is not an SQLite file, it was a cleaner pulling the plug mid-write\n'.repeat(100));
    const before = readFileSync(stores.path);
    const store = startStore();
    expect(store.movedAside?.movedTo).toMatch(/gateway\.db\.corrupt-/);
    expect(readFileSync(store.movedAside!.movedTo)).toEqual(before);
    store.outbox.append({ type: 'gateway.started' });
    expect(store.outbox.pendingCount()).toBe(1);
  });

  it('is moved aside, with its WAL, when a page inside it is damaged', () => {
    let store = startStore();
    fill(store, 2000, 0, new Date());
    store.stop();
    // Scribble over pages in the middle of the file, as a failing SD card does.
    const size = statSync(stores.path).size;
    const fd = openSync(stores.path, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);

    store = startStore();
    expect(store.movedAside?.reason).toMatch(/integrity check failed|malformed|corrupt/i);
    expect(store.outbox.pendingCount()).toBe(0);
    store.outbox.append({ type: 'gateway.started' });
    expect(store.outbox.pendingCount()).toBe(1);
  });
});
