import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { mulberry32 } from '../../../simulators/modbus/seeded-random.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { UsageSessions } from '../../../gateway/store/usage-sessions.js';

const WRITER = fileURLToPath(new URL('./fixtures/event-writer.mjs', import.meta.url));
const ROUNDS = 25;

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('kill-writes-');
});
afterAll(() => dir.remove());

interface Round {
  acked: Array<{ n: number; id: string }>;
}

async function writeUntilKilled(path: string, delayMs: number): Promise<Round> {
  const child = spawn(process.execPath, [WRITER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    await waitFor(() => /^ack /m.test(out), 10_000, 'first acknowledged event');
    await sleep(delayMs);
  } finally {
    child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  // Only whole lines are acknowledgements: a line cut by the kill was never finished.
  const lines = out.split('\n').slice(0, -1);
  const acked = lines.filter((l) => l.startsWith('ack ')).map((l) => {
    const [, n, id] = l.split(' ');
    return { n: Number(n), id: id! };
  });
  return { acked };
}

describe('a process writing events, SIGKILLed at random moments', () => {
  it('leaves every acknowledged event on disk exactly once, in order', async () => {
    const seed = Number(process.env['KILL_SEED'] ?? Date.now() % 100_000);
    const next = mulberry32(seed);
    const path = join(dir.path, 'gateway.db');
    const acked = new Map<number, string>();
    for (let round = 0; round < ROUNDS; round++) {
      const r = await writeUntilKilled(path, Math.floor(next() * 120));
      for (const a of r.acked) acked.set(a.n, a.id);
    }

    const db = new BetterSqlite3(path, { readonly: true });
    const rows = db.prepare('SELECT id, ts, type, device, data FROM events ORDER BY seq').all() as Array<{ id: string; ts: string; type: string; device: string; data: string }>;
    expect(db.pragma('quick_check', { simple: true }), `seed ${seed}`).toBe('ok');
    db.close();
    const stored = rows.map((r) => ({ id: r.id, n: (JSON.parse(r.data) as { n: number }).n }));

    // In order and exactly once: the numbers on disk are 0, 1, 2, … with no gap and no repeat.
    expect(stored.map((s) => s.n), `seed ${seed}`).toEqual(stored.map((_, i) => i));
    // Every acknowledged event is there, under the id it was acknowledged with.
    const byN = new Map(stored.map((s) => [s.n, s.id]));
    const missing = [...acked].filter(([n, id]) => byN.get(n) !== id);
    expect(missing, `seed ${seed}`).toEqual([]);
    // ids sort in write order too (monotonic ULIDs), which is what consumers dedup and sort by.
    expect([...stored.map((s) => s.id)].sort()).toEqual(stored.map((s) => s.id));
    expect(acked.size).toBeGreaterThan(ROUNDS);

    // The sessions, caught up between kills and at each restart, are those of the log derived
    // in one go: no event derived twice, none left out.
    const store = new StationStore(path, silentLogger());
    store.start();
    const caughtUp = store.sessions.list();
    store.stop();
    const fresh = openDatabase(':memory:').db;
    const insert = fresh.prepare('INSERT INTO events (id, ts, type, device, data) VALUES (?, ?, ?, ?, ?)');
    for (const r of rows) insert.run(r.id, r.ts, r.type, r.device, r.data);
    const once = new UsageSessions(fresh).list();
    fresh.close();
    // Ids are fresh ULIDs of the start time: sessions of one millisecond derived by two processes may sort either way.
    const withoutIds = (list: typeof once): unknown[] => list.map(({ id: _id, ...rest }) => rest).sort((a, b) => a.startEvent.localeCompare(b.startEvent));
    expect(caughtUp.length, `seed ${seed}`).toBeGreaterThan(ROUNDS);
    expect(withoutIds(caughtUp), `seed ${seed}`).toEqual(withoutIds(once));
    console.log(`kill test: seed ${seed}, ${ROUNDS} kills, ${stored.length} events on disk, ${acked.size} acknowledged`);
  }, 120_000);
});
