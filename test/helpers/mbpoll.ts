import { execFile } from 'node:child_process';

/** mbpoll (libmodbus) as Debian installs it: the real Modbus master the simulators must satisfy. */
export const MBPOLL = '/usr/bin/mbpoll';

export interface MbpollRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** One mbpoll run; never rejects, so a test can assert on a master's failure as well. */
export function mbpoll(args: string[]): Promise<MbpollRun> {
  return new Promise((resolve) => {
    execFile(MBPOLL, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * `[ref]: value` lines of mbpoll's output as a reference → value map. A 16-bit register above
 * 32767 prints as `40000 (-25536)`: the first number is the unsigned one.
 */
export function mbpollValues(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)(?: \(-?\d+\))?\s*$/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}
