import { pathToFileURL } from 'node:url';
import { distEntry } from '../helpers/processes.js';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { MANIFEST_FILE, releaseArchOf, type ReleaseManifest } from '../../config/release-manifest.js';
import { buildRelease, type BuiltRelease } from '../../fleet/release/build-release.js';
import { writeReleaseKey } from '../../fleet/release/release-key.js';
import { downloadBundle } from '../../gateway/update/download-bundle.js';
import { unpackBundle, type UnpackOptions } from '../../gateway/update/unpack-bundle.js';
import { workerDiskWork } from '../../gateway/update/disk-work.js';
import { readReleasePublicKey, verifyBundleSignature } from '../../gateway/update/verify-bundle.js';
import { mountTmpfs, unmount } from '../chaos/tmpfs.js';
import { startHttpsTestServer } from '../helpers/https-test-server.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Unpacking a checked bundle into its release folder with the system's tar: small hand-made
 * bundles for each way one can be wrong or dangerous, a full disk (a real 2 MB tmpfs), and one
 * real bundle built by the release build, downloaded over HTTPS, checked and unpacked.
 */

const arch = releaseArchOf() ?? 'x64';
const nodeMajor = Number(process.versions.node.split('.')[0]);
let dir: ReturnType<typeof tempDir>;
let n = 0;
const mounts: string[] = [];

beforeAll(() => {
  dir = tempDir('unpack-bundle-');
});
afterEach(() => {
  for (const m of mounts.splice(0)) unmount(m);
});
afterAll(() => dir?.remove());

interface HandMade {
  files?: Record<string, string | Buffer>;
  manifest?: Partial<ReleaseManifest>;
  /** Changes the staged tree after the manifest is written (what the manifest does not know). */
  tamper?: (stage: string) => void;
  /** Members named as given, packed from the stage with tar -P. */
  members?: string[];
}

/** A bundle as the release build makes one (a manifest of every file, packed from `.`), small. */
function handMade(o: HandMade = {}): string {
  const name = `b${++n}`;
  const stage = join(dir.path, `${name}-stage`);
  const files = o.files ?? { 'dist/gateway/cli/station-gateway.js': 'console.log("hi");\n', 'package.json': '{"name":"station-gateway"}\n' };
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    writeFileSync(join(stage, path), data);
  }
  const manifest: ReleaseManifest = {
    name: 'station-gateway',
    version: '1.2.3',
    platform: 'linux',
    arch,
    node: [nodeMajor],
    builtAt: new Date().toISOString(),
    files: Object.entries(files).map(([path, data]) => ({ path, size: Buffer.byteLength(data), sha256: createHash('sha256').update(data).digest('hex') })),
    ...o.manifest,
  };
  writeFileSync(join(stage, MANIFEST_FILE), JSON.stringify(manifest));
  o.tamper?.(stage);
  const bundle = join(dir.path, `${name}.tar.gz`);
  execFileSync('tar', ['-P', '-czf', bundle, ...(o.members ?? ['.'])], { cwd: stage, stdio: ['ignore', 'ignore', 'pipe'] });
  return bundle;
}

/** Where a release goes: releases/1.2.3 beside its partial, in a folder of its own. */
function target(base = dir.path): { into: string; partial: string } {
  const releases = join(base, `releases-${++n}`);
  return { into: join(releases, '1.2.3'), partial: join(releases, '.1.2.3.partial') };
}

const refusal = (code: string, message?: RegExp): unknown => expect.objectContaining({ name: 'UpdateError', code, ...(message ? { message: expect.stringMatching(message) } : {}) });

describe.each([
  ['unpackBundle', async (o: UnpackOptions) => unpackBundle(o)],
  // What a running station calls: the same steps in a worker thread, off the event loop.
  ['unpack in a worker thread', (o: UnpackOptions) => workerDiskWork(pathToFileURL(distEntry('gateway', 'update', 'disk-worker.js'))).unpack(o)],
] as const)('%s', (_name, unpack) => {
  it('unpacks into the partial, checks it, renames it into place and returns the manifest', async () => {
    const t = target();
    const manifest = await unpack({ bundle: handMade(), ...t, requiredBytes: 1000 });
    expect(manifest).toMatchObject({ version: '1.2.3', arch });
    expect(readFileSync(join(t.into, 'dist/gateway/cli/station-gateway.js'), 'utf8')).toBe('console.log("hi");\n');
    expect(existsSync(t.partial)).toBe(false);
  });

  it('a release folder already in place that verifies is returned without unpacking (resumed after a kill after the rename)', async () => {
    const t = target();
    await unpack({ bundle: handMade(), ...t });
    expect(await unpack({ bundle: join(dir.path, 'no-such-bundle.tar.gz'), ...t })).toMatchObject({ version: '1.2.3' });
  });

  it('a release folder in place that does not verify (a power cut before its files reached the disk) is made again', async () => {
    const t = target();
    const bundle = handMade();
    await unpack({ bundle, ...t });
    writeFileSync(join(t.into, 'package.json'), '');
    await unpack({ bundle, ...t });
    expect(readFileSync(join(t.into, 'package.json'), 'utf8')).toBe('{"name":"station-gateway"}\n');
  });

  it('a stale partial from a killed unpack is removed first', async () => {
    const t = target();
    mkdirSync(join(t.partial, 'dist'), { recursive: true });
    writeFileSync(join(t.partial, 'left-over.js'), 'half');
    await unpack({ bundle: handMade(), ...t });
    expect(existsSync(join(t.into, 'left-over.js'))).toBe(false);
  });

  it('too little free space for requiredBytes and its margin: UPDATE_DISK_FULL before anything is unpacked', async () => {
    const t = target();
    mkdirSync(dirname(t.partial), { recursive: true });
    const fs = statfsSync(dirname(t.partial));
    const free = fs.bavail * fs.bsize;
    await expect(unpack({ bundle: handMade(), ...t, requiredBytes: free + 1, marginBytes: 0 })).rejects.toEqual(refusal('UPDATE_DISK_FULL', /bytes free/));
    await expect(unpack({ bundle: handMade(), ...t, requiredBytes: free - 1024 * 1024 })).rejects.toEqual(refusal('UPDATE_DISK_FULL', /left over/));
    expect(existsSync(t.partial)).toBe(false);
    expect(existsSync(t.into)).toBe(false);
  });

  it('a bundle for another architecture or Node.js, or with a file other than its manifest says: refused, nothing left', async () => {
    const t = target();
    const other = arch === 'arm64' ? 'x64' : 'arm64';
    await expect(unpack({ bundle: handMade({ manifest: { arch: other } }), ...t })).rejects.toEqual(refusal('UPDATE_WRONG_ARCH'));
    await expect(unpack({ bundle: handMade(), ...t, box: { nodeMajor: 18 } })).rejects.toEqual(refusal('UPDATE_WRONG_NODE'));
    await expect(unpack({ bundle: handMade({ tamper: (s) => writeFileSync(join(s, 'package.json'), '{}') }), ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH'));
    await expect(unpack({ bundle: handMade({ tamper: (s) => rmSync(join(s, MANIFEST_FILE)) }), ...t })).rejects.toEqual(refusal('UPDATE_BAD_MANIFEST'));
    expect(existsSync(t.partial)).toBe(false);
    expect(existsSync(t.into)).toBe(false);
  });

  it('symlinks: one inside the release is kept; one to /etc, one climbing out, one to nowhere are refused', async () => {
    const inside = target();
    await unpack({ bundle: handMade({ tamper: (s) => symlinkSync('dist/gateway/cli/station-gateway.js', join(s, 'entry.js')) }), ...inside });
    expect(readFileSync(join(inside.into, 'entry.js'), 'utf8')).toContain('hi');
    for (const [link, to] of [
      ['etc', '/etc'],
      ['dist/up', '../../..'],
      ['dist/gone', '../nothing-here'],
    ] as const) {
      const t = target();
      // tar itself lets each of these through (GNU tar 1.34 unpacks a symlink to anywhere).
      await expect(unpack({ bundle: handMade({ tamper: (s) => symlinkSync(to, join(s, link)) }), ...t }), link).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', new RegExp(`${link} is a symlink to`)));
      expect(existsSync(t.partial)).toBe(false);
    }
  });

  it('a climbing symlink hidden behind another symlink is refused by where it really points', async () => {
    // dist/l -> .. is inside; dist/s -> l/.. reads as dist/.. = the release, but is really above it.
    const t = target();
    const bundle = handMade({
      tamper: (s) => {
        symlinkSync('..', join(s, 'dist', 'l'));
        symlinkSync('l/../..', join(s, 'dist', 's'));
      },
    });
    await expect(unpack({ bundle, ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /dist\/s is a symlink to l\/\.\.\/\.\., outside the release/));
  });

  it('members named with .. or an absolute path, a fifo, a device node: refused, nothing left', async () => {
    const outside = join(dir.path, 'outside.txt');
    writeFileSync(outside, 'outside');
    const t = target();
    await expect(unpack({ bundle: handMade({ members: ['.', '../outside.txt'] }), ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /Member name contains '\.\.'/));
    await expect(unpack({ bundle: handMade({ members: ['.', outside] }), ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /absolute paths/));
    await expect(unpack({ bundle: handMade({ tamper: (s) => execFileSync('mkfifo', [join(s, 'pipe')]) }), ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /pipe is neither a file/));
    if (process.getuid?.() === 0) {
      await expect(unpack({ bundle: handMade({ tamper: (s) => execFileSync('mknod', [join(s, 'null'), 'c', '1', '3']) }), ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /null is neither a file/));
    }
    expect(existsSync(t.partial)).toBe(false);
    expect(existsSync(t.into)).toBe(false);
  });

  it('a damaged archive (cut short): refused by tar, nothing left', async () => {
    const bundle = handMade({ files: { 'dist/big.bin': randomBytes(256 * 1024) } });
    const cut = join(dir.path, 'cut.tar.gz');
    writeFileSync(cut, readFileSync(bundle).subarray(0, 100 * 1024));
    const t = target();
    await expect(unpack({ bundle: cut, ...t })).rejects.toEqual(refusal('UPDATE_FILE_MISMATCH', /tar refused the bundle/));
    expect(existsSync(t.partial)).toBe(false);
  });

  it('a really full disk while tar unpacks (a 2 MB tmpfs, 3 MB of files): UPDATE_DISK_FULL, the partial removed, the space back', async (ctx) => {
    const bundle = handMade({ files: { 'dist/a.bin': randomBytes(1536 * 1024), 'dist/b.bin': randomBytes(1536 * 1024) } });
    const disk = join(dir.path, `small-disk-${++n}`);
    mkdirSync(disk);
    const cannot = mountTmpfs(disk, '2m');
    if (cannot) return ctx.skip(cannot);
    mounts.push(disk);
    const t = target(disk);
    mkdirSync(dirname(t.partial));
    // No requiredBytes (the document may not give it): only tar finds out.
    await expect(unpack({ bundle, ...t })).rejects.toEqual(refusal('UPDATE_DISK_FULL', /no space left/));
    expect(existsSync(t.partial)).toBe(false);
    expect(existsSync(t.into)).toBe(false);
    const fs = statfsSync(disk);
    expect(fs.bfree).toBe(fs.blocks);
  });
});

describe('a real bundle from the release build', () => {
  let built: BuiltRelease;
  let keys: { privateKeyFile: string; publicKeyFile: string };

  beforeAll(() => {
    keys = writeReleaseKey(join(dir.path, 'keys'));
    built = buildRelease({ root: packageRoot(), outDir: join(dir.path, 'out'), keyFile: keys.privateKeyFile, version: '9.9.9-unpack.1' });
  }, 120_000);

  it('is downloaded over HTTPS, its signature checked, unpacked and runs from its release folder', async () => {
    const server = await startHttpsTestServer({ root: dirname(built.bundle) });
    try {
      const dest = join(dir.path, 'downloads', 'bundle.tar.gz');
      mkdirSync(dirname(dest));
      const bytes = readFileSync(built.bundle);
      const started = performance.now();
      await downloadBundle({
        url: server.url(`/${built.bundle.split('/').at(-1) ?? ''}`),
        dest,
        expectedBytes: built.bytes,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        maxBytes: 512 * 1024 * 1024,
        ca: server.caPem,
      });
      const downloaded = performance.now();
      verifyBundleSignature(readFileSync(dest), readFileSync(built.signature, 'utf8'), readReleasePublicKey(keys.publicKeyFile));
      const unpackedBytes = built.manifest.files.reduce((sum, f) => sum + f.size, 0);
      // The event loop while it unpacks: the doors run on it. The longest gap between 10 ms ticks is measured, not asserted.
      const loop = async (run: () => Promise<ReleaseManifest>): Promise<{ manifest: ReleaseManifest; ms: number; ticks: number; longestGap: number }> => {
        let ticks = 0;
        let last = performance.now();
        let longestGap = 0;
        const timer = setInterval(() => {
          const now = performance.now();
          longestGap = Math.max(longestGap, now - last);
          last = now;
          ticks++;
        }, 10);
        const t0 = performance.now();
        try {
          const manifest = await run();
          longestGap = Math.max(longestGap, performance.now() - last);
          return { manifest, ms: performance.now() - t0, ticks, longestGap };
        } finally {
          clearInterval(timer);
        }
      };
      const a = target();
      const inBackground = await loop(() => workerDiskWork(pathToFileURL(distEntry('gateway', 'update', 'disk-worker.js'))).unpack({ bundle: dest, ...a, requiredBytes: unpackedBytes }));
      expect(inBackground.manifest.version).toBe('9.9.9-unpack.1');
      expect(inBackground.manifest.files.length).toBe(built.manifest.files.length);
      // tar and the file checks ran beside the loop: it went on ticking.
      expect(inBackground.ticks).toBeGreaterThan(0);
      // Resumed after a kill -9 after the rename: the folder in place is checked and taken, nothing unpacked.
      expect((await loop(async () => unpackBundle({ bundle: join(dir.path, 'gone.tar.gz'), ...a }))).manifest.version).toBe('9.9.9-unpack.1');
      const out = execFileSync(process.execPath, [join(a.into, 'dist/gateway/cli/station-gateway.js'), '--version'], { encoding: 'utf8' });
      expect(out).toContain('9.9.9-unpack.1');
      process.stdout.write(
        `real bundle ${(built.bytes / 1e6).toFixed(1)} MB (${inBackground.manifest.files.length} files, ${(unpackedBytes / 1e6).toFixed(1)} MB unpacked): ` +
          `download ${(downloaded - started).toFixed(0)} ms; unpack in a worker ${inBackground.ms.toFixed(0)} ms (${inBackground.ticks} ticks of 10 ms, longest loop gap ${inBackground.longestGap.toFixed(0)} ms)\n`,
      );
    } finally {
      await server.close();
    }
  }, 60_000);
});
