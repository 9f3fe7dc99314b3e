import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * `<database>.pid`: how `station-gateway doctor` (and a crew) tells that a gateway is running on
 * this station's database. A retained `online` status cannot say it: after a power cut the
 * broker holds it until the Will fires, and a broker may be out of reach. The file alone cannot
 * either (a crash leaves it behind), so a reader also checks that its pid is alive and is a
 * station-gateway process, not a pid reused after a reboot.
 */
export const pidFilePath = (databasePath: string): string => `${databasePath}.pid`;

export interface PidFileContent {
  pid: number;
  bootId: string;
  startedAt: string;
}

/** Written at start, removed at a clean stop (only while it still names this process). */
export class GatewayPidFile {
  private readonly path: string;

  constructor(
    databasePath: string,
    private readonly bootId: string,
    private readonly log: Logger,
  ) {
    this.path = pidFilePath(databasePath);
  }

  /** A full disk must not stop the station (the store copes with it); doctor then cannot see it. */
  start(): void {
    const content: PidFileContent = { pid: process.pid, bootId: this.bootId, startedAt: new Date().toISOString() };
    try {
      writeFileSync(this.path, `${JSON.stringify(content)}\n`);
    } catch (err) {
      this.log.warn({ path: this.path, err: (err as Error).message }, 'cannot write the pid file; doctor will not see this gateway running');
    }
  }

  stop(): void {
    // A second gateway started on the same database since may have written its own.
    if (readPidFile(this.path)?.pid === process.pid) rmSync(this.path, { force: true });
  }
}

function readPidFile(path: string): PidFileContent | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<PidFileContent>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return undefined;
    return { pid: parsed.pid, bootId: String(parsed.bootId ?? ''), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    return undefined;
  }
}

/** Signal 0 tests for a process; EPERM means it exists under another user (the service user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** False only when /proc says the pid runs something else; where /proc cannot be read, trust the pid. */
function isGatewayProcess(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return cmdline.split('\0').some((arg) => /station-gateway(\.js)?$/.test(arg)) && cmdline.split('\0').includes('run');
}

/** The gateway running on `databasePath`, if any: a pid file whose pid is a live `station-gateway run`. */
export function findRunningGateway(databasePath: string): PidFileContent | undefined {
  const content = readPidFile(pidFilePath(databasePath));
  if (!content || content.pid === process.pid) return undefined;
  return alive(content.pid) && isGatewayProcess(content.pid) ? content : undefined;
}
