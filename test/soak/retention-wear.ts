import { runJsonScript } from './proc-io.js';
import { packageRoot } from '../../config/package-root.js';

/** What one side of the retention measurement wrote over its simulated rounds. */
export interface RetentionWear {
  rounds: number;
  deleted: number;
  writeBytes: number;
}

/*
 * A store past its retention, in a process of its own (so /proc/self/io is its own): 91 days of
 * delivered history at `eventsPerDay`, then `rounds` upkeep rounds one simulated minute apart.
 * `store`: the station store's housekeeping from dist/ (what the gateway runs every minute).
 * `bare`: plain better-sqlite3 at the same pragmas deleting the same expired rows once an hour,
 * the least any retention can write. Only the rounds are measured, not the seeding.
 */
const SCRIPT = `
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
const [side, eventsPerDay, rounds, parent] = process.argv.slice(-4);
const { StationStore } = await import(join(process.cwd(), 'dist/gateway/store/station-store.js'));
const { MIGRATIONS } = await import(join(process.cwd(), 'dist/gateway/store/migrations.js'));
const { silentLogger } = await import(join(process.cwd(), 'dist/gateway/runtime/logger.js'));
const io = () => Number(/write_bytes: (\\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
const DAY = 86400000, HOUR = 3600000;
const dir = mkdtempSync(join(parent, 'retention-'));
const path = join(dir, 'gateway.db');
let now = new Date('2026-12-02T06:00:00Z');
const total = Number(eventsPerDay) * 91, from = now.getTime() - 91 * DAY;
const history = Array.from({ length: total }, (_, i) => ({ id: 'E' + String(i).padStart(12, '0'), ts: new Date(from + (i * 91 * DAY) / total).toISOString(), type: 'door.closed', device: 'lock-1', data: JSON.stringify({ door: 1, seconds: 4 }) }));
let round;
let finish = () => {};
if (side === 'store') {
  const store = new StationStore(path, silentLogger(), () => now);
  store.start();
  for (let i = 0; i < total; i += 1000) store.outbox.appendMany(history.slice(i, i + 1000).map((e) => ({ type: e.type, device: e.device, data: JSON.parse(e.data), ts: new Date(e.ts) })));
  for (;;) { const p = store.outbox.pending(5000); if (p.length === 0) break; store.outbox.markDelivered(p.map((e) => e.seq), now); }
  const limits = { retainDays: 90, maxBytes: 64 * 1024 * 1024 };
  store.housekeep(limits);
  round = () => store.housekeep(limits).expiredEvents;
  finish = () => store.stop();
} else {
  const db = new Database(path);
  db.pragma('auto_vacuum = INCREMENTAL'); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
  db.exec(MIGRATIONS[0].sql);
  const insert = db.prepare('INSERT INTO events (id, ts, type, device, data, delivered_at) VALUES (?, ?, ?, ?, ?, ?)');
  const many = db.transaction((rows) => rows.forEach((e) => insert.run(e.id, e.ts, e.type, e.device, e.data, now.toISOString())));
  for (let i = 0; i < total; i += 1000) many(history.slice(i, i + 1000));
  const del = db.prepare('DELETE FROM events WHERE delivered_at IS NOT NULL AND ts < ?');
  const cutoff = () => new Date(Math.floor((now.getTime() - 90 * DAY) / HOUR) * HOUR).toISOString();
  del.run(cutoff());
  let last = cutoff();
  round = () => { const c = cutoff(); if (c === last) return 0; last = c; return del.run(c).changes; };
  finish = () => db.close();
}
let deleted = 0;
const before = io();
for (let r = 0; r < Number(rounds); r++) { now = new Date(now.getTime() + 60000); deleted += round(); }
const writeBytes = io() - before;
finish();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ rounds: Number(rounds), deleted, writeBytes }));
`;

export function measureRetentionWear(side: 'store' | 'bare', eventsPerDay: number, rounds: number, dir: string): Promise<RetentionWear> {
  return runJsonScript<RetentionWear>(SCRIPT, [side, String(eventsPerDay), String(rounds), dir], `retention ${side}`, packageRoot());
}
