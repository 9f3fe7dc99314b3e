import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { STORE_PAGE_SIZE } from '../../gateway/store/open-database.js';
import { runJsonScript, type ProcIo } from './proc-io.js';

/** An `events` row as the gateway stored it, written again by the bare writer. */
export interface BareEvent {
  id: string;
  ts: string;
  type: string;
  device: string | null;
  data: string;
}

/*
 * The flash-wear baseline: plain better-sqlite3 in a process of its own (so /proc/self/io is its
 * own), with the pragmas of gateway/store/open-database.ts, writing the given rows into a table
 * made by the given SQL, one transaction (one sync) per event: the same events at the same
 * durability, and nothing else (or, in `contract` mode, what the contract keeps of them too). Its I/O is read around the writes only, not the open or the close.
 * The page size is the gateway's (1 KB) unless asked: SQLite's default of 4 KB is what a plain
 * writer gets, and the flash bench shows both.
 */
const WRITER = `
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
const [dbFile, inputFile, pageSize, mode, paced] = process.argv.slice(-5);
const { schema, rows } = JSON.parse(readFileSync(inputFile, 'utf8'));
const io = () => Object.fromEntries(readFileSync('/proc/self/io', 'utf8').trim().split('\\n').map((l) => l.split(': ')).map(([k, v]) => [k, Number(v)]));
const db = new Database(dbFile);
db.pragma(\`page_size = \${Number(pageSize)}\`);
db.pragma('auto_vacuum = INCREMENTAL');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.exec(schema);
const insert = db.prepare('INSERT INTO events (id, ts, type, device, data) VALUES (?, ?, ?, ?, ?)');
// Paced: each event waits for its own time, as far after the first as it came at the station.
const pause = new Int32Array(new SharedArrayBuffer(4));
const t0 = Date.parse(rows[0].ts);
const start = Date.now();
const waitFor = paced === 'paced' ? (r) => {
  const wait = Date.parse(r.ts) - t0 - (Date.now() - start);
  if (wait > 0) Atomics.wait(pause, 0, 0, wait);
} : () => {};
const contract = mode === 'contract';
const claim = contract && db.prepare('INSERT INTO replay_cache (jti, forget_after, seen_at) VALUES (?, ?, ?)');
const settle = contract && db.prepare('UPDATE replay_cache SET result = ? WHERE jti = ?');
const grant = db.transaction((r, jti) => {
  claim.run(jti, Date.parse(r.ts) + 360000, r.ts);
  insert.run(r.id, r.ts, r.type, r.device, r.data);
});
const before = io();
for (const [i, r] of rows.entries()) {
  waitFor(r);
  if (!contract || r.type !== 'access.granted') {
    insert.run(r.id, r.ts, r.type, r.device, r.data);
    continue;
  }
  const jti = 'bare-jti-' + String(i).padStart(13, '0');
  grant(r, jti);
  db.pragma('synchronous = NORMAL');
  settle.run('{"result":{"unlocked":true}}', jti);
  db.pragma('synchronous = FULL');
}
if (contract) db.prepare("UPDATE events SET delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE delivered_at IS NULL").run();
const after = io();
db.close();
process.stdout.write(JSON.stringify({ wchar: after.wchar - before.wchar, writeBytes: after.write_bytes - before.write_bytes, cancelledWriteBytes: after.cancelled_write_bytes - before.cancelled_write_bytes, syscw: after.syscw - before.syscw }));
`;

/**
 * What the bare writer writes:
 * - `events`: the event rows, and nothing else;
 * - `contract`: also what the contract keeps of them, done in the fewest writes: each grant's
 *   replay claim committed in the grant's own transaction, its first outcome recorded after it
 *   without a sync (as the gateway does), and every delivery mark in one commit at the end. The
 *   schema must then hold `replay_cache` too.
 */
export type BareWriterMode = 'events' | 'contract';

export interface BareWriterOptions {
  /** Page size of the fresh file; the gateway's (1 KB) unless asked. */
  pageSize?: number;
  mode?: BareWriterMode;
  /**
   * Each event written at its own time (its `ts` after the first row's), not all in a burst.
   * What a commit costs depends on it: SQLite's WAL index is a file mapped in memory, whose
   * pages the kernel writes back every few seconds, so commits seconds apart dirty them again
   * where a burst dirties them once (measured: 8.3 kB an event in a burst, 9.3–9.5 kB at 1.3 s
   * apart, the same rows). A station's events come at their own times, and so must the floor's.
   */
  paced?: boolean;
}

/** Runs the bare writer on a fresh database in `dir`; resolves with its I/O over the writes. */
export function runBareWriter(dir: string, schema: string, rows: readonly BareEvent[], options: BareWriterOptions = {}): Promise<ProcIo> {
  const { pageSize = STORE_PAGE_SIZE, mode = 'events', paced = false } = options;
  const input = join(dir, 'bare-input.json');
  writeFileSync(input, JSON.stringify({ schema, rows }));
  const pace = paced ? 'paced' : 'burst';
  return runJsonScript<ProcIo>(WRITER, [join(dir, `bare-${mode}-${pageSize}-${pace}.db`), input, String(pageSize), mode, pace], 'bare writer', packageRoot());
}
