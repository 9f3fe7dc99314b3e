import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { DOCUMENT_FILE, RevisionStore, hashFile, hashText, type RevisionRecord } from '../../gateway/remote-config/revision-store.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * kill -9 at any moment of an apply: a child applies revisions to a store in a loop (stage, trial,
 * commit or roll back), and is killed with SIGKILL at a random moment, again and again. After each
 * kill a fresh store resolves to a complete revision: every file of the revision it names (and of
 * its last good one) is there with the hash recorded at apply time and that revision's content,
 * never a file of another revision. The next child carries on from what the last one left.
 */

const KILLS = 30;
let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('remote-kill-');
});
afterAll(() => dir.remove());

/** A small seeded generator: the same moments on every run, so a failure can be repeated. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function runAndKill(stateDir: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [join(packageRoot(), 'test/remote-config/apply-loop-child.mjs'), stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child did not start: ${err}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('looping')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`the child exited on its own: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

/** What the kill left, before the next start cleans it up: shows that kills land all over an apply. */
function phaseLeft(store: RevisionStore): string {
  const names = existsSync(store.revisionsDir) ? readdirSync(store.revisionsDir) : [];
  const pointer = store.read();
  const named = new Set([pointer?.current.revision, pointer?.lastGood?.revision].map(String));
  if (readdirSync(store.stateDir).some((n) => n.endsWith('.tmp'))) return 'pointer being replaced';
  if (names.some((n) => n.startsWith('.stage-'))) return 'revision being written';
  if (names.some((n) => !named.has(n))) return 'revision written, not yet named (or being pruned)';
  if (pointer?.state === 'trial') return 'on trial';
  return 'between applies';
}

function expectComplete(store: RevisionStore, record: RevisionRecord): void {
  const folder = store.dirOf(record.revision);
  expect(readdirSync(folder).sort()).toEqual(['.document.jws', 'profiles', 'station.yaml']);
  for (const [path, hash] of Object.entries(record.files)) {
    const file = join(folder, path);
    expect(hashFile(file), file).toBe(hash);
    expect(readFileSync(file, 'utf8').startsWith(`# revision ${record.revision}\n`), file).toBe(true);
  }
  expect(Object.keys(record.files).sort()).toEqual(['profiles/a.yaml', 'profiles/deep/b.yaml', 'station.yaml']);
  expect(readFileSync(join(folder, DOCUMENT_FILE), 'utf8')).toBe(`doc-${record.revision}`);
  expect(record.documentHash).toBe(hashText(`doc-${record.revision}`));
}

describe('kill -9 during applies', () => {
  it(`leaves a store that resolves to one complete revision, ${KILLS} kills at random moments`, async () => {
    const stateDir = join(dir.path, 'state');
    const onSite = join(dir.path, 'station.yaml');
    const next = random(18);
    const phases = new Map<string, number>();
    const revisions: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      await runAndKill(stateDir, Math.floor(next() * 120));
      const store = new RevisionStore(stateDir);
      const phase = phaseLeft(store);
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      const resolved = store.resolve(onSite);
      if (resolved.source === 'on-site') {
        // Only before the first revision was ever named: never a damaged store.
        expect(resolved.damaged).toBeUndefined();
        expect(revisions).toEqual([]);
        continue;
      }
      expect(resolved.file).toBe(join(store.dirOf(resolved.revision), 'station.yaml'));
      expectComplete(store, resolved.pointer.current);
      if (resolved.pointer.lastGood) expectComplete(store, resolved.pointer.lastGood);
      revisions.push(resolved.revision);
    }
    // The children made progress across the kills (each resumed the store the last one left; how
    // far a child gets in its 0–120 ms depends on the machine's load: 8 to 20 revisions seen here),
    // and the kills fell in more than one phase.
    expect(Math.max(...revisions)).toBeGreaterThan(KILLS / 10);
    expect(phases.size, JSON.stringify([...phases])).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
