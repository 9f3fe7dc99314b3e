import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { OWN_WORKER } from '../own-worker.js';

/*
 * The test files share their workers (vitest.config.ts, isolate: false): a file that replaces a
 * module, leaves fake timers installed or a process.env variable changed would change every file
 * that runs after it in that worker, by chance of the order. What can be read from the source is
 * checked here; a file that needs one of these runs in a worker of its own (OWN_WORKER).
 */

const root = packageRoot();

/** What a test source does to its worker that outlives it. */
export function sharedWorkerProblems(text: string): string[] {
  const problems: string[] = [];
  for (const call of ['vi.mock(', 'vi.doMock(', 'vi.stubGlobal(', 'vi.stubEnv(']) if (text.includes(call)) problems.push(`${call.slice(0, -1)}: in OWN_WORKER, or not at all`);
  if (text.includes('vi.useFakeTimers(') && !text.includes('vi.useRealTimers()')) problems.push('vi.useFakeTimers without vi.useRealTimers');
  const set = new Map<string, number>();
  for (const m of text.matchAll(/process\.env(?:\[\s*['"]([A-Za-z0-9_]+)['"]\s*\]|\.([A-Za-z0-9_]+))\s*=(?!=)/g)) {
    const key = (m[1] ?? m[2]) as string;
    set.set(key, (set.get(key) ?? 0) + 1);
  }
  for (const [key, count] of set) {
    // Restored: set back (a second assignment) or removed when it was not set before.
    const restored = count >= 2 || new RegExp(`delete process\\.env(\\[\\s*['"]${key}['"]\\s*\\]|\\.${key})`).test(text);
    if (!restored) problems.push(`process.env.${key} set and never restored`);
  }
  return problems;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('files sharing a worker', () => {
  it('leave no module replaced, no fake timers and no process.env change behind', () => {
    const own = new Set(OWN_WORKER);
    const found = sources(join(root, 'test'))
      .map((path) => relative(root, path))
      .filter((file) => !own.has(file) && file !== 'test/architecture/shared-worker.test.ts')
      .flatMap((file) => sharedWorkerProblems(readFileSync(join(root, file), 'utf8')).map((p) => `${file}: ${p}`));
    expect(found).toEqual([]);
  });

  it('every file named to run in its own worker exists (a renamed one would share a worker unseen)', () => {
    for (const file of OWN_WORKER) expect(() => readFileSync(join(root, file)), file).not.toThrow();
  });

  it('finds each of those in a source', () => {
    expect(sharedWorkerProblems("vi.mock('../x.js', () => ({}));")).toEqual(['vi.mock: in OWN_WORKER, or not at all']);
    expect(sharedWorkerProblems('vi.useFakeTimers();')).toEqual(['vi.useFakeTimers without vi.useRealTimers']);
    expect(sharedWorkerProblems("process.env['STATION_GATEWAY_UPKEEP_MS'] = '100';")).toEqual(['process.env.STATION_GATEWAY_UPKEEP_MS set and never restored']);
    expect(sharedWorkerProblems('process.env.TZ = "UTC";')).toEqual(['process.env.TZ set and never restored']);
    // The patterns the suite uses: read before, set back or removed after.
    const restored = [
      "const before = process.env['NODE_OPTIONS'];",
      "process.env['NODE_OPTIONS'] = '--max-old-space-size=256';",
      "if (before === undefined) delete process.env['NODE_OPTIONS'];",
      'vi.useFakeTimers(); afterEach(() => vi.useRealTimers());',
      "if (process.env['X'] === '1') return;",
    ].join('\n');
    expect(sharedWorkerProblems(restored)).toEqual([]);
  });
});
