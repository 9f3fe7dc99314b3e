import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/*
 * Two linked pseudo-terminals made by socat: what one side writes, the other reads, like a null-modem
 * cable. Unlike @serialport/binding-mock, the gateway opens a real tty, and killing socat is a real
 * unplug (PITFALLS).
 */

export interface PtyPair {
  /** The path the gateway opens (the one named in the station config). */
  readonly devicePath: string;
  /** The path the simulator opens. */
  readonly simPath: string;
  /** Kills socat and waits for it to exit; socat removes both links. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  devicePath: string;
  /** Default `<devicePath>.sim`. */
  simPath?: string;
  /** How long to wait for socat to create both links. */
  readyTimeoutMs?: number;
  socat?: string;
}

const STDERR_KEPT = 4096;

/**
 * socat is not installed (or not on PATH). Only the pty path needs it: the tests and benches that
 * want a real tty; the demo serves its line devices on TCP instead.
 */
export class SocatMissingError extends Error {
  override readonly name = 'SocatMissingError';
  readonly code = 'SIM_SOCAT_MISSING';
  constructor(command: string, options?: ErrorOptions) {
    super(`${command} not found: apt-get install socat (simulated serial devices on ptys need it)`, options);
  }
}

export async function createPtyPair(options: PtyPairOptions): Promise<PtyPair> {
  const devicePath = path.resolve(options.devicePath);
  const simPath = path.resolve(options.simPath ?? `${options.devicePath}.sim`);
  const readyTimeoutMs = options.readyTimeoutMs ?? 5000;
  for (const p of [devicePath, simPath]) {
    // socat splits its address on ',' and '!!': such a path would silently become other options.
    if (p.includes(',') || p.includes('!!')) throw new Error(`pty path must not contain "," or "!!": ${p}`);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    removeStaleLink(p);
  }

  const child = spawn(
    options.socat ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${simPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEPT);
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      spawnError = err;
      resolve(null);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const ready = async (): Promise<void> => {
    const deadline = Date.now() + readyTimeoutMs;
    // The links appear before socat enters its transfer loop; data written earlier would be lost.
    while (!(fs.existsSync(devicePath) && fs.existsSync(simPath) && stderr.includes('starting data transfer loop'))) {
      if (spawnError?.code === 'ENOENT') throw new SocatMissingError(options.socat ?? 'socat', { cause: spawnError });
      if (hasExited) throw new Error(`socat exited before the pty pair was ready: ${stderr.trim() || (spawnError?.message ?? 'no message')}`);
      if (Date.now() > deadline) throw new Error(`socat did not create ${devicePath} and ${simPath} within ${readyTimeoutMs} ms: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const close = async (): Promise<void> => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(killer);
    }
    // After SIGKILL socat cannot remove its links; do it so the next pair starts clean.
    removeStaleLink(devicePath);
    removeStaleLink(simPath);
  };

  try {
    await ready();
  } catch (err) {
    await close();
    throw err;
  }
  return { devicePath, simPath, close };
}

/** Removes `p` only when it is a symlink (a dead socat's leftover), never a real file. */
function removeStaleLink(p: string): void {
  try {
    if (fs.lstatSync(p).isSymbolicLink()) fs.unlinkSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
