import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceFileAtomically, replaceSymlink, syncFolder, writeSyncedFile } from '../../config/durable-write.js';
import { packageRoot } from '../../config/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('durable-write-');
});
afterAll(() => dir.remove());

let n = 0;
function fresh(): string {
  const at = join(dir.path, `case-${++n}`);
  mkdirSync(at);
  return at;
}

const mode = (file: string): number => statSync(file).mode & 0o777;
const umask = process.umask();

describe('replaceFileAtomically', () => {
  it('creates a file, then replaces it whole, and leaves no temporary file', () => {
    const at = fresh();
    const file = join(at, 'state.json');
    replaceFileAtomically(file, 'one\n');
    expect(readFileSync(file, 'utf8')).toBe('one\n');
    replaceFileAtomically(file, new Uint8Array([0x74, 0x77, 0x6f]));
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(at)).toEqual(['state.json']);
  });

  it('gives the new file its own mode, not the one of the file it replaces', () => {
    const at = fresh();
    const file = join(at, 'station.key');
    writeFileSync(file, 'old', { mode: 0o644 });
    replaceFileAtomically(file, 'secret', 0o600);
    expect(mode(file)).toBe(0o600 & ~umask);
    expect(mode(file) & 0o077).toBe(0);
    replaceFileAtomically(file, 'public');
    expect(mode(file)).toBe(0o644 & ~umask);
  });

  it('leaves the old content and no temporary file when the rename fails', () => {
    const at = fresh();
    // A non-empty folder cannot be renamed over: the failure comes after the temporary file is written.
    const target = join(at, 'busy');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    expect(() => replaceFileAtomically(target, 'new')).toThrow();
    expect(readdirSync(at)).toEqual(['busy']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });

  it('refuses a folder that does not exist, and makes nothing', () => {
    const at = fresh();
    expect(() => replaceFileAtomically(join(at, 'missing', 'file'), 'x')).toThrow(/ENOENT/);
    expect(readdirSync(at)).toEqual([]);
  });

  it('names its temporary file <target>.<8 hex>.tmp, which the owner of the folder may sweep', async () => {
    // Seen from a child killed before its rename: the name is what the revision store's sweep matches.
    const at = fresh();
    let temps: string[] = [];
    for (let attempt = 0; attempt < 10 && temps.length === 0; attempt++) {
      temps = (await killedWriter(at, 'pointer.json', 3 * attempt)).filter((name) => name !== 'pointer.json');
    }
    expect(temps.length).toBeGreaterThan(0);
    for (const name of temps) expect(name).toMatch(/^pointer\.json\.[0-9a-f]{8}\.tmp$/);
  });

  it('kill -9 at any moment leaves the old content or the new, never a part', async () => {
    // Big writes so that a kill often lands in the middle of one.
    const at = fresh();
    for (const delayMs of [5, 20, 45, 80, 130, 200]) {
      const left = await killedWriter(at, 'big.bin', delayMs);
      expect(left).toContain('big.bin');
      const text = readFileSync(join(at, 'big.bin'), 'latin1');
      expect(text.length).toBe(BIG);
      expect(text === 'a'.repeat(BIG) || text === 'b'.repeat(BIG)).toBe(true);
    }
  });
});

describe('writeSyncedFile', () => {
  it('writes a new file with its mode from the first byte', () => {
    const at = fresh();
    const file = join(at, 'document.jws');
    writeSyncedFile(file, 'eyJ...', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('eyJ...');
    expect(mode(file)).toBe(0o600 & ~umask);
  });

  it('refuses a name that exists, a symlink planted there included, and writes nothing through it', () => {
    const at = fresh();
    const file = join(at, 'taken');
    writeFileSync(file, 'theirs');
    expect(() => writeSyncedFile(file, 'mine')).toThrow(/EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('theirs');
    const victim = join(at, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, join(at, 'planted'));
    expect(() => writeSyncedFile(join(at, 'planted'), 'mine')).toThrow(/EEXIST/);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
  });
});

describe('replaceSymlink', () => {
  it('makes a link, then switches it to another target in one step, leaving no temporary link', () => {
    const at = fresh();
    mkdirSync(join(at, 'pairs', 'g1'), { recursive: true });
    mkdirSync(join(at, 'pairs', 'g2'), { recursive: true });
    writeFileSync(join(at, 'pairs', 'g1', 'station.crt'), 'first');
    writeFileSync(join(at, 'pairs', 'g2', 'station.crt'), 'second');
    const link = join(at, 'current');
    replaceSymlink(link, join('pairs', 'g1'));
    expect(readFileSync(join(link, 'station.crt'), 'utf8')).toBe('first');
    replaceSymlink(link, join('pairs', 'g2'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join('pairs', 'g2'));
    expect(readFileSync(join(link, 'station.crt'), 'utf8')).toBe('second');
    expect(readdirSync(at).sort()).toEqual(['current', 'pairs']);
  });

  it('leaves the old link when the new one cannot be put in place', () => {
    const at = fresh();
    const link = join(at, 'current');
    replaceSymlink(link, 'pairs/g1');
    const busy = join(at, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'inside'), 'x');
    expect(() => replaceSymlink(busy, 'pairs/g2')).toThrow();
    expect(readlinkSync(link)).toBe('pairs/g1');
    expect(readdirSync(at).sort()).toEqual(['busy', 'current']);
  });
});

describe('syncFolder', () => {
  it('syncs a folder and refuses one that is not there', () => {
    const at = fresh();
    expect(() => syncFolder(at)).not.toThrow();
    expect(() => syncFolder(join(at, 'gone'))).toThrow(/ENOENT/);
  });
});

const BIG = 4 * 1024 * 1024;

/**
 * A child that rewrites `name` in `at` in a loop, alternating two contents, killed with SIGKILL
 * `delayMs` after its first complete write. Returns what the folder holds after the kill.
 */
async function killedWriter(at: string, name: string, delayMs: number): Promise<string[]> {
  const module = pathToFileURL(join(packageRoot(), 'dist/config/durable-write.js')).href;
  const script = `
    const { replaceFileAtomically } = await import(${JSON.stringify(module)});
    const file = ${JSON.stringify(join(at, name))};
    const a = Buffer.alloc(${BIG}, 'a'), b = Buffer.alloc(${BIG}, 'b');
    replaceFileAtomically(file, a);
    process.stdout.write('looping\\n');
    for (let i = 0; ; i++) replaceFileAtomically(file, i % 2 ? a : b);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the writer did not start: ${err}`)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('looping')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`the writer exited on its own: ${err}`)));
    });
    await new Promise((r) => setTimeout(r, delayMs));
  } finally {
    child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return readdirSync(at);
}
