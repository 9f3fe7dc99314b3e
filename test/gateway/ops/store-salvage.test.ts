import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../config/package-root.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * The salvage docs/storage.md gives a crew ("A damaged file"), run word for word with the
 * system's sqlite3 on a file the gateway itself moved aside: the documented command must get the
 * undelivered events out, on the sqlite3 Debian 12 ships (whose `.recover` does not work).
 */

const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** The shell block under "## A damaged file" in docs/storage.md. */
function documentedSalvage(): string {
  const doc = readFileSync(join(packageRoot(), 'docs', 'storage.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('A damaged file')) ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/storage.md "A damaged file" has no sh block');
  return block;
}

describe.skipIf(!hasSqlite3)('salvaging a damaged database with sqlite3, as documented', () => {
  it('gets the undelivered events out of a file the gateway moved aside, the last ones from the WAL too', () => {
    const dir = tempDir('salvage-');
    cleanups.push(() => dir.remove());
    const live = join(dir.path, 'live.db');
    let store = new StationStore(live, silentLogger());
    store.start();
    for (let i = 0; i < 2000; i++) store.outbox.append({ type: 'test.tick', data: { i, pad: 'p'.repeat(100) } });
    store.stop();
    store = new StationStore(live, silentLogger());
    store.start();
    for (let i = 2000; i < 2050; i++) store.outbox.append({ type: 'test.tick', data: { i } });
    // A power cut: the files as they are on disk, the last events still in the WAL.
    const path = join(dir.path, 'gateway.db');
    copyFileSync(live, path);
    copyFileSync(`${live}-wal`, `${path}-wal`);
    store.stop();
    // And a failing SD card scribbles over pages in the middle of the main file.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(statSync(path).size / 2 / 4096) * 4096);
    closeSync(fd);

    const restarted = new StationStore(path, silentLogger());
    restarted.start();
    const movedTo = restarted.movedAside?.movedTo ?? '';
    restarted.stop();
    expect(movedTo).toMatch(/gateway\.db\.corrupt-/);
    const damaged = readFileSync(movedTo);

    const script = documentedSalvage().replaceAll('gateway.db.corrupt-TIME', movedTo.split('/').pop() ?? '');
    const out = execFileSync('bash', ['-o', 'pipefail', '-c', script], { cwd: dir.path, encoding: 'utf8', timeout: 30_000 });
    const rows = JSON.parse(out) as Array<{ id: string; type: string; data: string }>;
    const seen = new Set(rows.map((r) => (JSON.parse(r.data) as { i: number }).i));
    // Two damaged pages cost a few dozen rows of 2050; the rest, the WAL's last events too, are read.
    expect(seen.size).toBeGreaterThan(1900);
    expect(seen.has(2049)).toBe(true);
    expect(rows.every((r) => r.type === 'test.tick')).toBe(true);
    // The damaged file is left as it was, for another attempt.
    expect(readFileSync(movedTo).equals(damaged)).toBe(true);
  });
});
