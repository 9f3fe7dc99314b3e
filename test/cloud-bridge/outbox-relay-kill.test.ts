import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventOutbox } from '../../gateway/store/event-outbox.js';
import { openDatabase } from '../../gateway/store/open-database.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { mulberry32 } from '../../simulators/modbus/seeded-random.js';

/*
 * Delivery marks are written in batches, one transaction per batch, after the PUBACKs. A kill
 * between batches may leave acknowledged events unmarked (sent again after the restart: at least
 * once), but never marks an event that was not acknowledged, never loses one, and resends at
 * most one batch plus the window.
 */

const DRAINER = fileURLToPath(new URL('./fixtures/relay-drainer.mjs', import.meta.url));
const EVENTS = 20_000;
const MAX_EVENTS = 64;
const WINDOW = 16;
const ROUNDS = 8;

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('relay-kill-');
});
afterAll(() => dir.remove());

/** Runs the drainer until it is killed after `delayMs` (or drains); returns the seqs it saw acknowledged, in order. */
async function drainUntilKilled(path: string, delayMs: number): Promise<{ acked: number[]; drained: boolean }> {
  const logPath = `${path}.acks`;
  rmSync(logPath, { force: true });
  const child = spawn(process.execPath, [DRAINER, path, logPath, String(MAX_EVENTS), String(WINDOW)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(() => /^ready /m.test(out), 10_000, 'drainer ready');
    // Killed after the delay, unless it drained and exited first.
    await Promise.race([sleep(delayMs), exited]);
  } finally {
    child.kill('SIGKILL');
  }
  await exited;
  // Only whole lines: a line cut by the kill was never finished.
  const lines = readFileSync(logPath, 'utf8').split('\n').slice(0, -1);
  return { acked: lines.filter((l) => l.startsWith('puback ')).map((l) => Number(l.split(' ')[1])), drained: lines.includes('drained') };
}

function marks(path: string): { delivered: number[]; pending: number[] } {
  const db = new BetterSqlite3(path, { readonly: true });
  const rows = db.prepare('SELECT seq, delivered_at FROM events ORDER BY seq').all() as Array<{ seq: number; delivered_at: string | null }>;
  db.close();
  return { delivered: rows.filter((r) => r.delivered_at !== null).map((r) => r.seq), pending: rows.filter((r) => r.delivered_at === null).map((r) => r.seq) };
}

describe('batched delivery marks, the relay SIGKILLed between batches', () => {
  it('marks only acknowledged events, loses none, and resends at most a batch and a window', async () => {
    const seed = Number(process.env['KILL_SEED'] ?? Date.now() % 100_000);
    const next = mulberry32(seed);
    const path = join(dir.path, 'gateway.db');
    const { db } = openDatabase(path);
    const outbox = new EventOutbox(db);
    // `seq` in the data lets the drainer print the seq it was acknowledged for.
    db.transaction(() => {
      for (let n = 1; n <= EVENTS; n++) outbox.append({ type: 'test.tick', data: { seq: n } });
    })();
    db.close();

    const everAcked = new Set<number>();
    let resentTotal = 0;
    let killedMidway = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const before = marks(path);
      const r = await drainUntilKilled(path, 20 + Math.floor(next() * 100));
      if (!r.drained) killedMidway++;
      const after = marks(path);
      // In order, starting at the first event left unmarked, none skipped.
      expect(r.acked, `seed ${seed}`).toEqual(before.pending.slice(0, r.acked.length));
      const acked = new Set(r.acked);
      // Marked now, not before: every one of them was acknowledged in this run.
      const wasMarked = new Set(before.delivered);
      const isMarked = new Set(after.delivered);
      const newlyMarked = after.delivered.filter((s) => !wasMarked.has(s));
      expect(newlyMarked.filter((s) => !acked.has(s)), `seed ${seed}`).toEqual([]);
      // The marks are a prefix: nothing marked after an event that is not.
      expect(after.delivered, `seed ${seed}`).toEqual(after.delivered.map((_, i) => i + 1));
      // Acknowledged but unmarked at the kill: at most one batch and the window.
      const unmarked = r.acked.filter((s) => !isMarked.has(s)).length;
      expect(unmarked, `seed ${seed}`).toBeLessThanOrEqual(MAX_EVENTS + WINDOW);
      resentTotal += r.acked.filter((s) => everAcked.has(s)).length;
      for (const s of r.acked) everAcked.add(s);
      if (r.drained) break;
    }
    // The kills must land mid-drain, between batches, or this proves nothing.
    expect(killedMidway, `seed ${seed}`).toBeGreaterThanOrEqual(ROUNDS / 2);
    const final = await drainUntilKilled(path, 20_000);
    expect(final.drained).toBe(true);
    const end = marks(path);
    expect(end.pending).toEqual([]);
    expect(end.delivered).toHaveLength(EVENTS);
    for (const s of final.acked) everAcked.add(s);
    expect(everAcked.size).toBe(EVENTS);
    console.log(`relay kill test: seed ${seed}, ${EVENTS} events, ${killedMidway} kills mid-drain, ${resentTotal} sent again after a kill`);
  }, 120_000);
});
