import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { bundleName, MANIFEST_FILE, releaseArchOf, type ReleaseArch, type ReleaseManifest } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';
import { readReleasePrivateKey, signBundle } from './release-key.js';

/** What a station runs: the compiled layers it needs, never the simulators, the fleet tools or the tests. */
const DIST_LAYERS = ['config', 'device-drivers', 'cloud-bridge', 'gateway'];
/** Read at run time from the package root: the built-in profiles and the install kit. */
const SOURCE_FOLDERS = ['config/profiles', 'deploy'];

export interface BuildOptions {
  /** The project root, with `dist/` built and `node_modules/` installed for this architecture. */
  root: string;
  outDir: string;
  keyFile: string;
  /** Default this machine's: native modules are the ones installed here. */
  arch?: ReleaseArch | undefined;
  /** Default package.json's. */
  version?: string | undefined;
  builtAt?: Date | undefined;
}

export interface BuiltRelease {
  bundle: string;
  signature: string;
  manifest: ReleaseManifest;
  bytes: number;
}

/**
 * `npm run release`: the compiled gateway with its production dependencies as installed here
 * (native modules built for this architecture), a manifest of every file's size and sha256, packed
 * as `station-gateway-<version>-linux-<arch>.tar.gz`, and a detached Ed25519 signature of it.
 */
export function buildRelease(o: BuildOptions): BuiltRelease {
  const pkg = JSON.parse(readFileSync(join(o.root, 'package.json'), 'utf8')) as { version: string; engines?: { node?: string } };
  const version = o.version ?? pkg.version;
  const arch = o.arch ?? releaseArchOf();
  if (!arch) throw new UsageError(`no bundle is built for ${process.arch}`);
  const key = readReleasePrivateKey(o.keyFile);
  const stage = mkdtempSync(join(tmpdir(), 'station-release-'));
  try {
    for (const layer of DIST_LAYERS) cpSync(join(o.root, 'dist', layer), join(stage, 'dist', layer), { recursive: true, filter: (src) => !src.endsWith('.map') });
    for (const folder of SOURCE_FOLDERS) cpSync(join(o.root, folder), join(stage, folder), { recursive: true });
    for (const name of productionPackages(o.root)) cpSync(join(o.root, 'node_modules', name), join(stage, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify({ ...JSON.parse(readFileSync(join(o.root, 'package.json'), 'utf8')), version, devDependencies: undefined, scripts: undefined }, null, 2)}\n`);
    return packRelease({ stage, outDir: o.outDir, key, version, arch, node: nodeMajors(pkg.engines?.node), builtAt: o.builtAt });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

export interface PackOptions {
  /** A release tree as a station unpacks it (dist/, node_modules/, package.json, …), without a manifest. */
  stage: string;
  outDir: string;
  key: KeyObject;
  version: string;
  arch: ReleaseArch;
  node: number[];
  builtAt?: Date | undefined;
}

/**
 * A staged release tree to a signed bundle: the manifest of every file written into it, the tree
 * packed reproducibly, the bundle signed. A manifest already in the tree is replaced.
 */
export function packRelease(o: PackOptions): BuiltRelease {
  const { stage, version, arch } = o;
  rmSync(join(stage, MANIFEST_FILE), { force: true });
  const manifest: ReleaseManifest = {
    name: 'station-gateway',
    version,
    platform: 'linux',
    arch,
    node: o.node,
    builtAt: (o.builtAt ?? new Date()).toISOString(),
    files: listFiles(stage).map((path) => {
      const data = readFileSync(join(stage, path));
      return { path, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    }),
  };
  writeFileSync(join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(o.outDir, { recursive: true });
  const bundle = join(o.outDir, bundleName(version, arch));
  // Sorted names, no owners, fixed times: the same tree packs to the same bytes.
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=${manifest.builtAt}`, '-czf', bundle, '-C', stage, '.'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const bytes = readFileSync(bundle);
  const signature = `${bundle}.sig`;
  writeFileSync(signature, signBundle(bytes, o.key));
  return { bundle, signature, manifest, bytes: bytes.length };
}

/** The top-level folders of node_modules that production needs (their own nested modules go with them). */
function productionPackages(root: string): string[] {
  // npm exits 1 for a tree it calls invalid (johnny-five's old peer ranges) and lists it all the same.
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const out = ls.stdout ?? '';
  if (!out.includes(`${sep}node_modules${sep}`)) throw new Error(`npm ls listed no production packages: ${ls.stderr ?? ''}`);
  const top = new Set<string>();
  const base = join(root, 'node_modules') + sep;
  for (const line of out.split('\n')) {
    if (!line.startsWith(base)) continue;
    const rest = line.slice(base.length).split(sep);
    const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    if (name && !line.slice(base.length + name.length).includes(`${sep}node_modules${sep}`)) top.add(name);
  }
  return [...top].sort();
}

/** `>=20.11 <23` → [20, 21, 22]: the majors the engines range allows. */
function nodeMajors(range: string | undefined): number[] {
  const low = Number(/>=\s*(\d+)/.exec(range ?? '')?.[1] ?? process.versions.node.split('.')[0]);
  const high = Number(/<\s*(\d+)/.exec(range ?? '')?.[1] ?? low + 1);
  const majors: number[] = [];
  for (let m = low; m < high; m++) majors.push(m);
  return majors;
}

function listFiles(dir: string, base = dir): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path, base));
    else if (entry.isFile() && statSync(path).isFile()) files.push(relative(base, path).split(sep).join('/'));
  }
  return files.sort();
}
