import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * A really full file system for the disk-full tests: a small tmpfs mounted for the test (root
 * only; the reason is returned otherwise) and filler files written until it says ENOSPC: the
 * helpers every disk-full test uses.
 */

/** Mounts a tmpfs of `size` at `path`; returns why not, or undefined when mounted. */
export function mountTmpfs(path: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root: cannot mount a small file system';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

export function unmount(path: string): void {
  execFileSync('umount', [path], { stdio: 'pipe' });
}

/** Writes zeros until the file system says ENOSPC; returns the bytes written. */
export function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

/** Filler files written one after another; `fillAgain` takes whatever room appeared since. */
export class DiskFiller {
  private readonly files: string[] = [];
  constructor(private readonly base: string) {}

  fillAgain(): number {
    const file = `${this.base}-${this.files.length}`;
    this.files.push(file);
    return fill(file);
  }

  free(): void {
    for (const f of this.files.splice(0)) rmSync(f, { force: true });
  }
}
