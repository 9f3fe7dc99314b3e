import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The kernel's I/O accounting of one process (`/proc/<pid>/io`), in bytes. `writeBytes` is what
 * the process caused to reach the block layer (counted when it dirties a page cache page, so a
 * page written, synced and written again counts twice: the wear that matters on an SD card);
 * `wchar` is every byte handed to write(2) and friends, pipes and sockets included.
 */
export interface ProcIo {
  wchar: number;
  writeBytes: number;
  cancelledWriteBytes: number;
  syscw: number;
}

export function readProcIo(pid: number | 'self'): ProcIo {
  const fields = new Map<string, number>();
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [key, value] = line.split(':');
    if (key && value) fields.set(key.trim(), Number(value.trim()));
  }
  return {
    wchar: fields.get('wchar') ?? 0,
    writeBytes: fields.get('write_bytes') ?? 0,
    cancelledWriteBytes: fields.get('cancelled_write_bytes') ?? 0,
    syscw: fields.get('syscw') ?? 0,
  };
}

export function ioDelta(after: ProcIo, before: ProcIo): ProcIo {
  return {
    wchar: after.wchar - before.wchar,
    writeBytes: after.writeBytes - before.writeBytes,
    cancelledWriteBytes: after.cancelledWriteBytes - before.cancelledWriteBytes,
    syscw: after.syscw - before.syscw,
  };
}

/** The file system type of the mount holding `path` (the longest mount point that prefixes it). */
export function fileSystemType(path: string): string {
  const target = resolve(path);
  let best = { mount: '', type: 'unknown' };
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, mount, type] = line.split(' ');
    if (!mount || !type) continue;
    const within = target === mount || target.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (within && mount.length >= best.mount.length) best = { mount, type };
  }
  return best.type;
}

/** Memory-backed file systems never reach a block device: write_bytes stays 0 there. */
const NO_BLOCK_DEVICE = new Set(['tmpfs', 'ramfs', 'unknown']);

/**
 * A fresh directory on a file system backed by a block device, so `write_bytes` means flash
 * wear: the system temp dir if it is one, else `fallback` (a directory in the checkout).
 */
export function diskBackedTempDir(prefix: string, fallback: string): { path: string; fsType: string; remove(): void } {
  for (const parent of [tmpdir(), fallback]) {
    mkdirSync(parent, { recursive: true });
    const fsType = fileSystemType(parent);
    if (NO_BLOCK_DEVICE.has(fsType)) continue;
    const path = mkdtempSync(join(parent, prefix));
    return { path, fsType, remove: () => rmSync(path, { recursive: true, force: true }) };
  }
  throw new Error(`neither ${tmpdir()} nor ${fallback} is on a block device: write_bytes would read 0`);
}

/**
 * Runs `script` (an ES module's text) in a Node process of its own, from the package root, so its
 * /proc/<pid>/io is its alone; resolves with the JSON it prints, rejects with its stderr.
 */
export function runJsonScript<T>(script: string, args: readonly string[], name: string, cwd: string): Promise<T> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${name} exited ${String(code)}: ${err}`));
      resolve(JSON.parse(out) as T);
    });
  });
}
