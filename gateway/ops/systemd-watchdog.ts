import type { Logger } from 'pino';
import type { HealthMonitor } from './health-monitor.js';
import type { LivenessResult } from './liveness.js';
import type { NotifySender } from './notify-socket.js';

export interface SystemdWatchdogOptions {
  sender: NotifySender;
  health: HealthMonitor;
  /** WatchdogSec in µs as systemd passes it ($WATCHDOG_USEC); absent: READY and STATUS only. */
  watchdogUsec?: number | undefined;
  log: Logger;
}

/** The environment systemd gives a Type=notify service, read once at start. */
export interface NotifyEnvironment {
  socket: string;
  watchdogUsec?: number | undefined;
}

/**
 * Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID. A watchdog meant for another process
 * (WATCHDOG_PID names someone else, e.g. a shell that started us) is ignored, as sd_watchdog_enabled does.
 */
export function notifyEnvironment(env: NodeJS.ProcessEnv, pid: number): NotifyEnvironment | undefined {
  const socket = env['NOTIFY_SOCKET'];
  if (!socket) return undefined;
  const usec = Number(env['WATCHDOG_USEC']);
  const forPid = env['WATCHDOG_PID'];
  const forUs = forPid === undefined || Number(forPid) === pid;
  return { socket, watchdogUsec: Number.isFinite(usec) && usec > 0 && forUs ? usec : undefined };
}

/** How often the health check (and so the ping) runs for a given WatchdogSec: a third of it, at most every 5 s. */
export function pingEveryMs(watchdogUsec: number | undefined): number {
  if (watchdogUsec === undefined) return 5000;
  return Math.max(100, Math.min(5000, Math.floor(watchdogUsec / 1000 / 3)));
}

/**
 * The systemd side of a Type=notify service: READY=1 once the station runs, WATCHDOG=1 after
 * every health check that passes, nothing while it fails. A hung event loop runs no check, a
 * stalled poller fails it: either way the pings stop and systemd restarts the service after
 * WatchdogSec. STATUS= carries the reason, so `systemctl status` shows why.
 */
export class SystemdWatchdog {
  private lastOk: boolean | undefined;
  private readonly onChecked = (r: LivenessResult): void => this.report(r);

  constructor(private readonly options: SystemdWatchdogOptions) {}

  /** Call once the station is running. */
  start(): void {
    const { sender, health } = this.options;
    sender.send('READY=1\nSTATUS=running');
    health.on('checked', this.onChecked);
  }

  async stop(): Promise<void> {
    this.options.health.off('checked', this.onChecked);
    this.options.sender.send('STOPPING=1');
    await this.options.sender.close();
  }

  private report(r: LivenessResult): void {
    const { sender, log, watchdogUsec } = this.options;
    if (r.ok) {
      if (watchdogUsec !== undefined) sender.send('WATCHDOG=1');
      if (this.lastOk === false) {
        sender.send('STATUS=running');
        log.info('liveness restored; watchdog pings resume');
      }
    } else if (this.lastOk !== false) {
      sender.send(`STATUS=unhealthy: ${r.reasons.join('; ')}`);
      log.error({ reasons: r.reasons }, 'liveness check failed; watchdog pings withheld');
    }
    this.lastOk = r.ok;
  }
}
