import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncFolder, writeSyncedFile } from '../../../config/durable-write.js';

/**
 * The file-system steps that change a release layout, one call per step. The layout makes every
 * change through these, so a test can cut the power after any one of them (test/update/
 * launcher-crash-points.test.ts) and check what the next launcher decision makes of the folder.
 */
export interface LayoutFileOps {
  /** A new file with `data`, synced before it returns; fails when the name exists. */
  writeNewFile(file: string, data: string): void;
  /** A new symlink `path` -> `target`; fails when the name exists. */
  symlink(target: string, path: string): void;
  rename(from: string, to: string): void;
  /** Flushes a folder's entries (a create, a rename, an unlink) to the disk. */
  syncFolder(dir: string): void;
  /** Removes a file or a whole tree; nothing when it is not there. */
  remove(path: string): void;
}

export const nodeFileOps: LayoutFileOps = {
  writeNewFile: (file, data) => writeSyncedFile(file, data, 0o644),
  symlink: (target, path) => symlinkSync(target, path),
  rename: (from, to) => renameSync(from, to),
  syncFolder: (dir) => syncFolder(dir),
  remove: (path) => rmSync(path, { recursive: true, force: true }),
};

/** `<target>.<8 hex>.tmp` beside it, the shape config/durable-write.ts uses (so a sweep knows it). */
export function temporaryName(file: string): string {
  return `${file}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * config/durable-write.ts's replaceFileAtomically, step by step through `ops`: the data synced
 * under a temporary name, renamed over the file, then the folder synced. A kill between any two
 * steps leaves the old file or the new, and at worst a `.tmp` that prune() sweeps.
 */
export function replaceFile(ops: LayoutFileOps, file: string, data: string): void {
  const temp = temporaryName(file);
  ops.writeNewFile(temp, data);
  try {
    ops.rename(temp, file);
  } catch (err) {
    removeQuietly(ops, temp);
    throw err;
  }
  ops.syncFolder(dirname(file));
}

/** config/durable-write.ts's replaceSymlink, step by step through `ops`. */
export function replaceLink(ops: LayoutFileOps, link: string, target: string): void {
  const temp = temporaryName(link);
  ops.symlink(target, temp);
  try {
    ops.rename(temp, link);
  } catch (err) {
    removeQuietly(ops, temp);
    throw err;
  }
  ops.syncFolder(dirname(link));
}

function removeQuietly(ops: LayoutFileOps, path: string): void {
  try {
    ops.remove(path);
  } catch {
    // The rename's error is the one to report; a leftover .tmp is swept by prune().
  }
}
