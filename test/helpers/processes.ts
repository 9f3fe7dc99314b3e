import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { waitFor } from './wait-for.js';

/** A compiled entry point of the package, as installed on a box (global-setup builds dist/). */
export const distEntry = (...parts: string[]): string => join(packageRoot(), 'dist', ...parts);

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code or signal; never rejects. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILL if still running. */
  kill(): Promise<void>;
  /** Stops it if still running, as cleanup: SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/** `nodeFlags`: Node's own, before the entry (the gateway's shipped flags, for a bench that measures what a box runs). */
export function runNode(entry: string, args: string[], options: { cwd?: string; nodeFlags?: readonly string[] } = {}): RunningProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd ?? packageRoot() });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    waitForOutput: async (text, timeoutMs = 15_000) => {
      await waitFor(() => (typeof text === 'string' ? out.includes(text) : text.test(out)), timeoutMs, `output ${String(text)}`);
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
      // SIGTERM first: station-sim closes the socat processes behind its ptys on it, which a
      // SIGKILL would leave orphaned. SIGKILL if it has not gone within 3 s.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
