import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/*
 * Writes that survive a power cut or a kill -9 in one piece, for every layer that keeps state in
 * files (the enrolment's keys and station file, the enrolment service's ledger, the remote
 * configuration's revisions and pointer).
 *
 * The data reaches the disk before the name that points at it does: ext4's default data=ordered
 * makes no promise for a rename over a file whose data is still in the page cache, so the new file
 * is fsynced before it is renamed. Then the folder is fsynced, or the rename itself may be lost.
 * The temporary file sits beside its target, on the same file system, so the rename is atomic: a
 * reader sees the old file or the new, never a part.
 *
 * A temporary name is `<target>.<8 hex>.tmp`, in the target's folder: one a kill leaves behind can
 * be recognised and swept by its owner at the next start (the revision store does).
 */

/** Flushes a folder's entries (a create, a rename, an unlink in it) to the disk. */
export function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A new file with `data`, synced; fails (EEXIST) when the name exists, so it never writes through
 * someone else's file or a symlink planted there. `mode` applies from the first byte (narrowed
 * further by the umask): a private key is never readable by others, not even while it is being
 * written. A write that fails (a full disk) removes the part it wrote.
 */
export function writeSyncedFile(file: string, data: string | Uint8Array, mode = 0o644): void {
  const fd = openSync(file, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw err;
  }
  closeSync(fd);
}

/**
 * Replaces (or creates) `file` with `data`: a temporary file beside it, written with `mode` from
 * its first byte and synced, renamed over it, then the folder synced. The new file has `mode`,
 * whatever the old one had. On any failure the temporary file is removed and the old file is left
 * as it was.
 */
export function replaceFileAtomically(file: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = temporaryName(file);
  writeSyncedFile(temp, data, mode);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  syncFolder(dirname(file));
}

/**
 * Points the symlink `link` at `target` in one rename (made or replaced): a reader that follows
 * it at any moment gets the old target or the new. What two files switched one at a time cannot
 * give (the enrolment's key and certificate must change together), one link switched can.
 */
export function replaceSymlink(link: string, target: string): void {
  const temp = temporaryName(link);
  symlinkSync(target, temp);
  try {
    renameSync(temp, link);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  syncFolder(dirname(link));
}

function temporaryName(file: string): string {
  return `${file}.${randomBytes(4).toString('hex')}.tmp`;
}
