import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packRelease } from '../../fleet/release/build-release.js';
import { readReleasePrivateKey } from '../../fleet/release/release-key.js';
import { bundleName, MANIFEST_FILE, releaseArchOf, releaseManifestSchema, type ReleaseArch } from '../../config/release-manifest.js';
import { packageRoot } from '../../config/package-root.js';
import type { BundleRef } from '../../cloud-bridge/update-contract.js';
import { distEntry } from './processes.js';

/*
 * The real bundles the update end-to-end tests install, built once per dist/ build and kept in
 * the system temp dir: the release command (`station-fleet release build`, what `npm run release`
 * runs) for the package's version and a bumped one, and two deliberately broken releases packed
 * from the bumped one's unpacked tree. A build takes about 20 s of a core per bundle, so two test
 * files (and every later run on the same dist/) share them.
 */

export interface BuiltBundle {
  version: string;
  /** The .tar.gz file. */
  file: string;
  bytes: number;
  sha256: string;
  /** The `.sig` file's text, trimmed: base64 of the detached Ed25519 signature. */
  signature: string;
  unpackedBytes: number;
}

export interface ReleaseFixtures {
  dir: string;
  arch: ReleaseArch;
  /** The release key's public half (what a station's `update.releaseKey` names). */
  releaseKeyPublic: string;
  releaseKeyPrivate: string;
  /** package.json's version, built by the release command. */
  current: BuiltBundle;
  /** The same tree with a bumped patch version, built by the release command. */
  next: BuiltBundle;
  /** `next` with `run` throwing at start (validate still passes), as <major.minor.patch+1>-crash. */
  crash: BuiltBundle;
  /** `next` whose device monitors never poll (it starts; its devices never come online), as <+2>-deaf. */
  deaf: BuiltBundle;
}

/** The bundle's entry in a release document, for a server URL. */
export const bundleRef = (b: BuiltBundle, url: string): BundleRef => ({ url, bytes: b.bytes, sha256: b.sha256, signature: b.signature, unpackedBytes: b.unpackedBytes });

const CACHE = join(tmpdir(), 'station-release-fixtures');
const LAYERS = ['config', 'device-drivers', 'cloud-bridge', 'gateway'];
const LOCK_STALE_MS = 10 * 60_000;

/** The bundles of this dist/ build: from the cache, or built now (one builder at a time across test workers). */
export async function releaseFixtures(): Promise<ReleaseFixtures> {
  const key = distKey();
  const dir = join(CACHE, key);
  const lock = join(CACHE, `${key}.lock`);
  mkdirSync(CACHE, { recursive: true });
  for (;;) {
    const ready = readReady(dir);
    if (ready) return ready;
    try {
      mkdirSync(lock);
    } catch {
      // Another worker builds them; a lock older than any build is a killed builder's.
      if (Date.now() - mtimeOf(lock) > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      const building = `${dir}.building-${process.pid}`;
      rmSync(building, { recursive: true, force: true });
      await build(building);
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
      // Bundles of older dist/ builds are of no use any more.
      for (const name of readdirSync(CACHE)) if (name !== key && !name.endsWith('.lock') && !name.includes('.building-')) rmSync(join(CACHE, name), { recursive: true, force: true });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The compiled layers a bundle ships and package.json, by content: a rebuild that wrote the same files keeps the bundles. */
function distKey(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(packageRoot(), 'package.json')));
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.endsWith('.map')) {
        hash.update(`${p}\0`);
        hash.update(readFileSync(p));
      }
    }
  };
  for (const layer of LAYERS) walk(join(packageRoot(), 'dist', layer));
  return hash.digest('hex').slice(0, 16);
}

function mtimeOf(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return Date.now();
  }
}

function readReady(dir: string): ReleaseFixtures | undefined {
  const file = join(dir, 'fixtures.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ReleaseFixtures;
}

function bumped(version: string, by: number, tag?: string): string {
  const [major, minor, patch] = version.split('-')[0]!.split('.').map(Number) as [number, number, number];
  return `${major}.${minor}.${patch + by}${tag ? `-${tag}` : ''}`;
}

async function build(dir: string): Promise<void> {
  const arch = releaseArchOf();
  if (!arch) throw new Error(`no bundle is built for ${process.arch}`);
  mkdirSync(dir, { recursive: true });
  const fleet = distEntry('fleet', 'cli', 'station-fleet.js');
  const keys = join(dir, 'keys');
  const out = join(dir, 'bundles');
  const run = (args: string[]): Promise<void> =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [fleet, ...args], { cwd: packageRoot() }, (err, _out, stderr) => (err ? reject(new Error(`station-fleet ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve())),
    );
  await run(['release', 'keygen', '--out', keys]);
  const releaseKeyPrivate = join(keys, 'release.private.pem');
  const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const next = bumped(version, 1);
  // Side by side: each is mostly a copy of node_modules and a gzip.
  await Promise.all([run(['release', 'build', '--key', releaseKeyPrivate, '--out', out]), run(['release', 'build', '--key', releaseKeyPrivate, '--out', out, '--version', next])]);
  const nextFile = join(out, bundleName(next, arch));

  const broken = (to: string, file: string, from: string, replacement: string): BuiltBundle => {
    const stage = join(dir, `stage-${to}`);
    mkdirSync(stage, { recursive: true });
    execFileSync('tar', ['-xzf', nextFile, '-C', stage]);
    const manifest = releaseManifestSchema.parse(JSON.parse(readFileSync(join(stage, MANIFEST_FILE), 'utf8')));
    const target = join(stage, file);
    const text = readFileSync(target, 'utf8');
    if (text.split(from).length !== 2) throw new Error(`${file} has ${text.split(from).length - 1} places "${from}": the patch for ${to} needs exactly one`);
    writeFileSync(target, text.replace(from, replacement));
    // The patch is to the compiled module graph: without the bundle beside it, the entry runs that
    // graph (gateway/cli/station-gateway.ts), and so the broken code.
    rmSync(join(stage, 'dist', 'gateway', 'bundle'), { recursive: true, force: true });
    const pkgFile = join(stage, 'package.json');
    writeFileSync(pkgFile, `${JSON.stringify({ ...(JSON.parse(readFileSync(pkgFile, 'utf8')) as object), version: to }, null, 2)}\n`);
    packRelease({ stage, outDir: out, key: readReleasePrivateKey(releaseKeyPrivate), version: to, arch, node: manifest.node });
    rmSync(stage, { recursive: true, force: true });
    return describeBundle(out, to, arch);
  };
  const crash = broken(
    bumped(version, 2, 'crash'),
    'dist/gateway/cli/station-gateway-main.js',
    'async function run(station, overrides) {',
    "async function run(station, overrides) {\n    throw new Error('this release crashes at start on purpose (test/helpers/release-fixtures.ts)');",
  );
  const deaf = broken(
    bumped(version, 3, 'deaf'),
    'dist/device-drivers/health/device-monitor.js',
    'this.schedule(0);',
    '/* this release never polls its devices, on purpose (test/helpers/release-fixtures.ts) */',
  );
  const fixtures: ReleaseFixtures = {
    dir,
    arch,
    releaseKeyPublic: join(keys, 'release.public.pem'),
    releaseKeyPrivate,
    current: describeBundle(out, version, arch),
    next: describeBundle(out, next, arch),
    crash,
    deaf,
  };
  // Paths as they will be once the folder is renamed into place.
  const final = dir.replace(/\.building-\d+$/, '');
  writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fixtures, null, 2).split(dir).join(final));
}

function describeBundle(out: string, version: string, arch: ReleaseArch): BuiltBundle {
  const file = join(out, bundleName(version, arch));
  const data = readFileSync(file);
  const listing = execFileSync('tar', ['-xzOf', file, `./${MANIFEST_FILE}`], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
  const manifest = releaseManifestSchema.parse(JSON.parse(listing));
  return {
    version,
    file,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    signature: readFileSync(`${file}.sig`, 'utf8').trim(),
    unpackedBytes: manifest.files.reduce((n, f) => n + f.size, 0),
  };
}
