import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { syncFolder } from '../../config/durable-write.js';
import type { ReleaseManifest } from '../../config/release-manifest.js';
import { UpdateError } from './update-error.js';
import { BundleError, verifyUnpacked } from './verify-bundle.js';

export interface UnpackOptions {
  /** The downloaded bundle, its signature already checked by the caller. */
  bundle: string;
  /** The final release folder. */
  into: string;
  /** Where it is unpacked first: beside `into`, on the same file system, so the rename is atomic. */
  partial: string;
  /** The space the unpacked files need (the document's unpackedBytes); without it only tar finds out. */
  requiredBytes?: number | undefined;
  /** Free space to leave beyond requiredBytes: the store and the journal live on the same disk. Default 16 MiB + 10 %. */
  marginBytes?: number | undefined;
  box?: { arch?: string; nodeMajor?: number } | undefined;
}

const DEFAULT_MARGIN_BYTES = 16 * 1024 * 1024;

/**
 * A checked bundle into its release folder: unpacked by the system's tar into a partial folder,
 * every entry kept inside it, every file against the manifest, then renamed into place. A kill at
 * any point leaves either a partial (removed at the next call) or the whole release folder.
 * Synchronous: tar and the check of every file take seconds for a real bundle (tens on an SD
 * card), so a running station calls it in a worker thread (disk-work.ts), never on its event loop.
 */
export function unpackBundle(o: UnpackOptions): ReleaseManifest {
  const ready = alreadyUnpacked(o);
  if (ready) return ready;
  const parent = prepare(o);
  try {
    mkdirSync(o.partial);
    tarSaid(o, spawnSync('tar', tarArgs(o), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: tarEnv() }));
    return settle(o);
  } catch (err) {
    throw cleanedUp(o, parent, err);
  }
}

/** A release folder left by an update killed after its rename, when it is whole. */
function alreadyUnpacked(o: UnpackOptions): ReleaseManifest | undefined {
  if (!existsSync(o.into)) return undefined;
  try {
    return verifyUnpacked(o.into, o.box ?? {});
  } catch {
    // Not whole (a power cut before its files reached the disk) or not this bundle's: made again.
    rmSync(o.into, { recursive: true, force: true });
    return undefined;
  }
}

/** Removes a stale partial and checks the space; returns the partial's parent. */
function prepare(o: UnpackOptions): string {
  rmSync(o.partial, { recursive: true, force: true });
  const parent = dirname(resolve(o.partial));
  mkdirSync(parent, { recursive: true });
  checkFreeSpace(parent, o);
  return parent;
}

/** After tar: nothing outside, the data on the disk, every file as the manifest says, then the rename. */
function settle(o: UnpackOptions): ReleaseManifest {
  refuseEscapes(o.partial);
  // The files' data on the disk before the rename that makes them the release: one syncfs, not
  // an fsync for each of a few thousand files.
  spawnSync('sync', ['-f', o.partial], { stdio: 'ignore' });
  let manifest: ReleaseManifest;
  try {
    manifest = verifyUnpacked(o.partial, o.box ?? {});
  } catch (err) {
    if (err instanceof BundleError) throw new UpdateError(err.code, err.message);
    throw err;
  }
  renameSync(o.partial, o.into);
  syncFolder(dirname(resolve(o.into)));
  return manifest;
}

function cleanedUp(o: UnpackOptions, parent: string, err: unknown): unknown {
  rmSync(o.partial, { recursive: true, force: true });
  if (isErrno(err, 'ENOSPC')) return new UpdateError('UPDATE_DISK_FULL', `no space left in ${parent} while installing the bundle`);
  return err;
}

function checkFreeSpace(parent: string, o: UnpackOptions): void {
  if (o.requiredBytes === undefined) return;
  const margin = o.marginBytes ?? DEFAULT_MARGIN_BYTES + Math.ceil(o.requiredBytes / 10);
  const fs = statfsSync(parent);
  const free = fs.bavail * fs.bsize;
  if (free < o.requiredBytes + margin) {
    throw new UpdateError('UPDATE_DISK_FULL', `${parent} has ${free} bytes free; unpacking needs ${o.requiredBytes} and ${margin} left over`);
  }
}

// GNU tar strips a leading `/` and skips members with `..` by default (and fails for them);
// --no-same-owner: as root it would otherwise give the files the uids of the build machine.
const tarArgs = (o: UnpackOptions): string[] => ['-xzf', o.bundle, '-C', o.partial, '--no-same-owner'];
// LC_ALL=C: its messages are read below, and a box may run another locale.
const tarEnv = (): NodeJS.ProcessEnv => ({ ...process.env, LC_ALL: 'C' });

interface TarRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string | null;
  error?: Error | undefined;
}

function tarSaid(o: UnpackOptions, run: TarRun): void {
  if (run.error) throw new UpdateError('UPDATE_INSTALL_FAILED', `tar could not run: ${run.error.message}`);
  const said = (run.stderr ?? '').trim();
  // tar unpacks `/etc/x` as `etc/x` and says so: harmless where it lands, but never in a bundle we build.
  if (run.status === 0 && /Removing leading/.test(said)) throw new UpdateError('UPDATE_FILE_MISMATCH', `the bundle names files by absolute paths: refused (${firstLines(said)})`);
  if (run.status === 0) return;
  if (/No space left on device|File too large|Disk quota exceeded/i.test(said)) {
    throw new UpdateError('UPDATE_DISK_FULL', `no space left in ${dirname(resolve(o.partial))} while unpacking the bundle`, [firstLines(said)]);
  }
  throw new UpdateError('UPDATE_FILE_MISMATCH', `tar refused the bundle (exit ${run.status ?? run.signal}): ${firstLines(said)}`);
}

/**
 * tar lets through what no release needs and what could reach outside its folder once the folder
 * is in use: a symlink to anywhere, a device node (created as root). Everything must be a folder,
 * a file, or a symlink whose target really lies inside.
 */
function refuseEscapes(root: string): void {
  const realRoot = realpathSync.native(root);
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isSymbolicLink()) {
        let target: string;
        try {
          // The native one: Node's own realpathSync joins a link's target lexically, so
          // `l/../..` behind `l -> ..` would look as if it stayed inside.
          target = realpathSync.native(path);
        } catch {
          throw unsafe(root, path, `a symlink to ${readlinkSync(path)}, which does not exist`);
        }
        if (target !== realRoot && !target.startsWith(realRoot + sep)) throw unsafe(root, path, `a symlink to ${readlinkSync(path)}, outside the release`);
      } else if (!st.isFile()) throw unsafe(root, path, 'neither a file, a folder nor a symlink');
    }
  };
  walk(root);
}

const unsafe = (root: string, path: string, what: string): UpdateError =>
  new UpdateError('UPDATE_FILE_MISMATCH', `the bundle's ${relative(root, path)} is ${what}: refused`);

const firstLines = (text: string): string => text.split('\n').slice(0, 3).join('; ').slice(0, 400);

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
