import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { bundleRefSchema, type BundleRef } from '../../cloud-bridge/update-contract.js';
import { MANIFEST_FILE, RELEASE_ARCHES, releaseManifestSchema, type ReleaseArch, type ReleaseManifest } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';

/** A bundle as `station-fleet release build` leaves it: its version and architecture from its name. */
export interface BundleFile {
  file: string;
  version: string;
  arch: ReleaseArch;
  ref: BundleRef;
}

const NAME = /^station-gateway-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)-linux-([a-z0-9]+)\.tar\.gz$/;

/**
 * What a document says of one bundle: its size, SHA-256, the detached signature from the `.sig`
 * beside it, and where the stations fetch it (`baseUrl` + its file name). The sum of the file
 * sizes in its manifest is added when the manifest can be read, so a station can refuse it
 * before unpacking onto a disk too small.
 */
export function readBundleFile(file: string, baseUrl: string): BundleFile {
  const name = basename(file);
  const m = NAME.exec(name);
  if (!m) throw new UsageError(`${name} is not named like a bundle (station-gateway-<version>-linux-<arch>.tar.gz)`);
  const version = m[1] as string;
  const arch = m[2] as ReleaseArch;
  if (!RELEASE_ARCHES.includes(arch)) throw new UsageError(`${name}: linux-${arch} is not an architecture bundles are built for (${RELEASE_ARCHES.map((a) => `linux-${a}`).join(', ')})`);
  let bytes: number;
  try {
    bytes = statSync(file).size;
  } catch (err) {
    throw new UsageError(`cannot read --bundle ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let signature: string;
  try {
    signature = readFileSync(`${file}.sig`, 'utf8').trim();
  } catch (err) {
    throw new UsageError(`${file}.sig: cannot read the bundle's signature (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it is made beside the bundle by station-fleet release build`);
  }
  const url = `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(name)}`;
  const manifest = readManifest(file);
  if (manifest && (manifest.version !== version || manifest.arch !== arch)) {
    throw new UsageError(`${name}: its manifest says ${manifest.version} for linux-${manifest.arch}; a bundle renamed is not published`);
  }
  const unpackedBytes = manifest ? manifest.files.reduce((sum, f) => sum + f.size, 0) || undefined : undefined;
  const parsed = bundleRefSchema.safeParse({ url, bytes, sha256: sha256Of(file), signature, ...(unpackedBytes !== undefined ? { unpackedBytes } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${name}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}${issue?.path[0] === 'url' ? ' (--base-url must be https://...)' : ''}`);
  }
  return { file, version, arch, ref: parsed.data };
}

/** The bundles of one version by architecture; two for one architecture are refused. */
export function bundlesByArch(files: readonly BundleFile[]): Partial<Record<ReleaseArch, BundleRef>> {
  const out: Partial<Record<ReleaseArch, BundleRef>> = {};
  for (const f of files) {
    if (out[f.arch]) throw new UsageError(`two bundles of ${f.version} for linux-${f.arch}; give one --bundle per architecture`);
    out[f.arch] = f.ref;
  }
  return out;
}

function sha256Of(file: string): string {
  // In slices: a bundle is tens of megabytes, and a hash needs no more than one slice in memory.
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The manifest at the bundle's top, or undefined when it cannot be read (the station checks it again). */
function readManifest(file: string): ReleaseManifest | undefined {
  let text: string;
  try {
    text = execFileSync('tar', ['-xzOf', file, `./${MANIFEST_FILE}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
  try {
    const manifest = releaseManifestSchema.safeParse(JSON.parse(text));
    return manifest.success ? manifest.data : undefined;
  } catch {
    return undefined;
  }
}
