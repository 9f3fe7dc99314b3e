import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterAll, beforeAll, bench, describe } from 'vitest';
// The compiled dist/ that ships to the box (`npm run bench` builds it first): vitest's on-the-fly
// transform of the sources was measured to slow the store's hot path threefold, which is not
// what a station runs.
import type { NewEvent } from '../../gateway/store/event-outbox.js';
import { distEntry } from '../helpers/processes.js';
import { reportBench } from './bench-report.js';

const { silentLogger } = (await import(distEntry('gateway', 'runtime', 'logger.js'))) as typeof import('../../gateway/runtime/logger.js');
const { StationStore } = (await import(distEntry('gateway', 'store', 'station-store.js'))) as typeof import('../../gateway/store/station-store.js');
const { STORE_PAGE_SIZE } = (await import(distEntry('gateway', 'store', 'open-database.js'))) as typeof import('../../gateway/store/open-database.js');
type StationStore = InstanceType<typeof StationStore>;
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Events per second into the station store with its real durability (WAL, synchronous=FULL, one
 * transaction per event as an unlock needs; and batches of 100 as bulk writers use), against raw
 * better-sqlite3 inserts of the same rows into the same table with the same pragmas, in the same
 * run. The ratio is what the store adds: ULIDs, JSON, the usage-session derivation, its API.
 * The usage sessions are derived after the events' transactions, in batches (UsageSessions.catchUp,
 * issue 22): the first figure of each pair is the append a writer waits for, the second adds the
 * catch-up that derives the same events' sessions afterwards, the store's whole work.
 */

const SINGLE = 3000;
const WARMUP = 300;
const BATCHED = 20_000;
const BATCH = 100;
const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
const results = new Map<string, number>();

let dir: ReturnType<typeof tempDir>;
let run = 0;

beforeAll(() => {
  dir = tempDir('bench-store-');
});
afterAll(() => {
  const row = (figure: string, gateway: string, baseline: string): void =>
    reportBench({ bench: 'store append (WAL, synchronous=FULL)', figure, unit: 'events/s', gateway: results.get(gateway) ?? 0, baselineName: 'raw better-sqlite3 insert', baseline: results.get(baseline) ?? 0, higherIsBetter: true });
  row('one event per transaction', 'store-single', 'raw-single');
  row('one event per transaction, sessions derived too', 'store-single-derived', 'raw-single');
  row(`${BATCH} events per transaction`, 'store-batch', 'raw-batch');
  row(`${BATCH} events per transaction, sessions derived too`, 'store-batch-derived', 'raw-batch');
  dir.remove();
});

/** The rows a station writes: a mix of access, door, swap and device events. */
function events(n: number): NewEvent[] {
  const kinds: NewEvent[] = [
    { type: 'access.granted', device: 'lock-1', data: { res: 'main-door', sub: 'w-1f3a', act: 'unlock', via: 'scanner' } },
    { type: 'door.opened', device: 'lock-1', data: { door: 1 } },
    { type: 'door.closed', device: 'lock-1', data: { door: 1 } },
    { type: 'swap.started', device: 'cabinet-1', data: { swapId: 's', slot: 3, sub: 'w-1f3a' } },
    { type: 'swap.completed', device: 'cabinet-1', data: { swapId: 's', returnedSlot: 3, takenSlot: 6, socReturned: 12, socTaken: 97 } },
    { type: 'device.online', device: 'water-1', data: { kind: 'water-dispenser', model: 'ref' } },
  ];
  return Array.from({ length: n }, (_, i) => kinds[i % kinds.length] as NewEvent);
}

function report(key: string, what: string, n: number, started: number): void {
  const s = (performance.now() - started) / 1000;
  results.set(key, n / s);
  console.log(`${what}: ${n} events in ${s.toFixed(2)} s = ${Math.round(n / s)} events/s`);
}

function freshStore(): StationStore {
  const store = new StationStore(join(dir.path, `store-${run++}.db`), silentLogger());
  store.start();
  return store;
}

/** The same table and pragmas as the store, with nothing of the store's code. */
function rawDb(): { db: Database; insert: (e: NewEvent, i: number) => void } {
  const db = new BetterSqlite3(join(dir.path, `raw-${run++}.db`));
  // The store's page size, before the first write.
  db.pragma(`page_size = ${STORE_PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, ts TEXT NOT NULL, type TEXT NOT NULL,
    device TEXT, data TEXT NOT NULL, delivered_at TEXT);
    CREATE INDEX events_undelivered ON events (seq) WHERE delivered_at IS NULL; CREATE INDEX events_ts ON events (ts);`);
  const stmt = db.prepare('INSERT INTO events (id, ts, type, device, data) VALUES (?, ?, ?, ?, ?)');
  const ts = new Date().toISOString();
  return { db, insert: (e, i) => stmt.run(`ID${String(run).padStart(4, '0')}${String(i).padStart(20, '0')}`, ts, e.type, e.device ?? null, JSON.stringify(e.data)) };
}

describe(`store: ${SINGLE} events, one transaction (one fsync) each`, () => {
  const rows = events(SINGLE);
  bench(
    'StationStore append (gateway)',
    () => {
      const store = freshStore();
      for (const e of rows.slice(0, WARMUP)) store.outbox.append(e);
      store.sessions.catchUpAll();
      const started = performance.now();
      for (const e of rows) store.outbox.append(e);
      report('store-single', 'store append', SINGLE, started);
      store.sessions.catchUpAll();
      report('store-single-derived', 'store append, then the sessions derived', SINGLE, started);
      store.stop();
    },
    once,
  );
  bench(
    'raw better-sqlite3 insert (baseline)',
    () => {
      const { db, insert } = rawDb();
      rows.slice(0, WARMUP).forEach((e, i) => insert(e, SINGLE + i));
      const started = performance.now();
      rows.forEach(insert);
      report('raw-single', 'raw insert', SINGLE, started);
      db.close();
    },
    once,
  );
});

describe(`store: ${BATCHED} events in transactions of ${BATCH}`, () => {
  const rows = events(BATCHED);
  bench(
    'StationStore appendMany (gateway)',
    () => {
      const store = freshStore();
      const started = performance.now();
      for (let i = 0; i < rows.length; i += BATCH) store.outbox.appendMany(rows.slice(i, i + BATCH));
      report('store-batch', 'store appendMany', BATCHED, started);
      store.sessions.catchUpAll();
      report('store-batch-derived', 'store appendMany, then the sessions derived', BATCHED, started);
      store.stop();
    },
    once,
  );
  bench(
    'raw better-sqlite3 insert in transactions (baseline)',
    () => {
      const { db, insert } = rawDb();
      const many = db.transaction((slice: NewEvent[], base: number) => slice.forEach((e, k) => insert(e, base + k)));
      const started = performance.now();
      for (let i = 0; i < rows.length; i += BATCH) many(rows.slice(i, i + BATCH), i);
      report('raw-batch', 'raw insert, batched', BATCHED, started);
      db.close();
    },
    once,
  );
});
