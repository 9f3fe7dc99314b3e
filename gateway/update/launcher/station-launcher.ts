#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { keepAliveClock, type Clock } from '../../../config/clock.js';
import { UsageError, writeUsageError } from '../../../config/usage-error.js';
import { decideLaunch, deadlineReason, GATE_FAILED, type LaunchDecision } from './launch-decision.js';
import { LAUNCHER_USAGE, parseLauncherArgs, RESTART_EXIT, type LauncherOptions } from './launcher-args.js';
import { ReleaseLayout } from './release-layout.js';

const PROGRAM = 'station-launcher';
/** A station file the gateway refuses (EXIT.USAGE): on trial, the new version cannot run this station. */
const REFUSED_EXIT = 2;
const MAX_TIMER_MS = 2 ** 31 - 1;

/*
 * What the systemd unit runs (deploy/station-gateway.service): it decides which release to start
 * (launch-decision.ts), starts that release's gateway as its child and watches it. It is installed
 * outside the releases, so no update can break it: node builtins and config/ only.
 *
 * Under systemd (the default, exec-once) it exits when its child does and systemd starts it
 * again (Restart=always); --supervise does that restarting itself, for a box or a test without
 * systemd. Either way a child that exits 75 (it switched `current` and wants to run in it) is
 * started again at once in the same launcher, so systemd never sees the service stop for an update.
 */

/** One JSON line on stderr (the journal): the launcher has no pino, nothing that an update could break. */
function log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: PROGRAM, ...fields })}\n`);
}

type ChildEnd = { code: number | null; signal: NodeJS.Signals | null };

/** How the launcher exits for a child that ended this way (a signal as a shell reports it). */
const statusOf = (end: ChildEnd): number => (end.code !== null ? end.code : 128 + (end.signal ? (constants.signals[end.signal] ?? 0) : 0));

class Launcher {
  private child: ChildProcess | undefined;
  private stopping = false;
  private wakeFromDelay: (() => void) | undefined;
  readonly layout: ReleaseLayout;

  constructor(
    private readonly o: LauncherOptions,
    private readonly clock: Clock = keepAliveClock,
  ) {
    this.layout = new ReleaseLayout(o.root);
  }

  forward(signal: NodeJS.Signals): void {
    if (signal !== 'SIGHUP') this.stopping = true;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    else if (this.stopping) this.wakeFromDelay?.();
  }

  async run(): Promise<number> {
    for (;;) {
      let decision: LaunchDecision;
      try {
        decision = decideLaunch(this.layout, { now: this.clock.now(), maxTrialBoots: this.o.maxTrialBoots });
      } catch (err) {
        log('error', { event: 'no-release', error: (err as Error).message });
        return 1;
      }
      for (const note of decision.notes) log(note.event === 'rolled-back' || note.event.endsWith('damaged') || note.event.endsWith('missing') ? 'warn' : 'info', note);
      // A stop that came while no child ran (between two of them) has no one to pass it to.
      if (this.stopping) return 0;
      const { end, rolledBack } = await this.runChild(decision);
      const status = statusOf(end);
      log(end.code === 0 ? 'info' : 'warn', { event: 'exit', version: decision.version, trial: decision.trial !== undefined, code: end.code, signal: end.signal });
      if (this.stopping) return status;
      // 75 means "current moved, start me there", or from a version on trial "decide again now"
      // (it failed its gate and marked the trial failed: the decision rolls it back). One that
      // moved nothing from a committed version is an ordinary exit, or a gateway that exits 75 by
      // mistake would be restarted in a loop with no pause; on trial, each start is a counted boot.
      if (end.code === RESTART_EXIT && (this.layout.currentVersion() !== decision.version || decision.trial !== undefined)) continue;
      if (!this.o.supervise) {
        // systemd restarts on 75 even where the unit says RestartPreventExitStatus=2: the status
        // of a rollback must never be the gateway's "bad configuration" 2.
        return rolledBack ? RESTART_EXIT : status;
      }
      await this.delay(this.o.restartDelayMs);
      // Stopped between two children: nothing of the gateway runs, a clean stop.
      if (this.stopping) return 0;
    }
  }

  private runChild(decision: LaunchDecision): Promise<{ end: ChildEnd; rolledBack: boolean }> {
    const env: NodeJS.ProcessEnv = { ...process.env, STATION_RELEASE_ROOT: this.layout.root, STATION_RELEASE_VERSION: decision.version };
    // systemd names the launcher (the main pid) as the watchdog's process; the gateway would ignore
    // a watchdog meant for another pid. NotifyAccess=all lets the child's pings count.
    delete env['WATCHDOG_PID'];
    // Its own process group: a Ctrl-C at a terminal reaches the launcher alone, which passes it on
    // once (the gateway ends at once on a second SIGINT or SIGTERM).
    // The launcher's own Node flags go to the gateway: the unit's command line sets both
    // (deploy/station-gateway.service; V8 flags such as --no-opt are refused in NODE_OPTIONS).
    const child = spawn(process.execPath, [...process.execArgv, decision.entry, ...this.o.gatewayArgs], { stdio: 'inherit', env, detached: true });
    this.child = child;
    let overdue = false;
    let cancelDeadline = (): void => undefined;
    let cancelKill = (): void => undefined;
    const trial = decision.trial;
    if (trial) {
      const deadline = Date.parse(trial.deadline);
      const atDeadline = (): void => {
        // A timer cannot wait beyond 2^31-1 ms (24.8 days): a longer trial waits in steps.
        if (this.clock.now() < deadline) return void (cancelDeadline = this.clock.after(Math.min(deadline - this.clock.now(), MAX_TIMER_MS), atDeadline));
        if (!this.sameTrialOpen(trial.version, trial.startedAt)) return;
        overdue = true;
        log('warn', { event: 'trial-overdue', version: trial.version, deadline: trial.deadline, pid: child.pid });
        child.kill('SIGTERM');
        cancelKill = this.clock.after(this.o.killAfterMs, () => child.kill('SIGKILL'));
      };
      atDeadline();
    }
    return new Promise((resolve) => {
      let settled = false;
      const finish = (end: ChildEnd): void => {
        if (settled) return;
        settled = true;
        cancelDeadline();
        cancelKill();
        this.child = undefined;
        resolve({ end, rolledBack: trial ? this.settleTrial(trial.version, trial.startedAt, end, overdue) : false });
      };
      child.once('error', (err) => {
        log('error', { event: 'spawn-failed', version: decision.version, error: err.message });
        finish({ code: 1, signal: null });
      });
      child.once('exit', (code, signal) => finish({ code, signal }));
    });
  }

  private sameTrialOpen(version: string, startedAt: string): boolean {
    try {
      const t = this.layout.readState()?.trial;
      return t !== undefined && t.version === version && t.startedAt === startedAt;
    } catch {
      return false;
    }
  }

  /**
   * After a trial child ended: past its deadline, rolled back now (the child is gone, so nothing
   * can commit behind the rollback); refused its station file, failed now and rolled back; any
   * other end waits for the next decision, where its boot is already counted. True when rolled back.
   */
  private settleTrial(version: string, startedAt: string, end: ChildEnd, overdue: boolean): boolean {
    if (end.code === RESTART_EXIT || !this.sameTrialOpen(version, startedAt)) return false;
    try {
      const state = this.layout.readState();
      const trial = state?.trial;
      if (!state || !trial) return false;
      if (this.stopping && !overdue && (end.code === 0 || end.signal === 'SIGTERM' || end.signal === 'SIGINT')) {
        // Stopped on request (systemctl stop, a reboot) and it went: that boot proved nothing
        // against the version, so it does not count towards its limit.
        this.layout.writeState({ ...state, trial: { ...trial, boots: Math.max(0, trial.boots - 1) } });
        log('info', { event: 'trial-boot-uncounted', version, boots: trial.boots - 1, reason: 'stopped on request' });
        return false;
      }
      if (overdue) {
        this.layout.rollBack(GATE_FAILED, deadlineReason(trial), this.clock.now());
        log('warn', { event: 'rolled-back', version, to: trial.from, code: GATE_FAILED, reason: deadlineReason(trial) });
        return true;
      }
      if (end.code === REFUSED_EXIT || trial.failed) {
        const failed = trial.failed ?? { code: GATE_FAILED, reason: `version ${version} refused the station file on trial (exit 2)` };
        if (!trial.failed) this.layout.failTrial(failed.code, failed.reason);
        this.layout.rollBack(failed.code, failed.reason, this.clock.now());
        log('warn', { event: 'rolled-back', version, to: trial.from, code: failed.code, reason: failed.reason });
        return true;
      }
    } catch (err) {
      // The next decision settles it from what is on disk.
      log('error', { event: 'settle-failed', version, error: (err as Error).message });
    }
    return false;
  }

  private delay(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancel = this.clock.after(ms, done);
      const wake = (): void => {
        cancel();
        done();
      };
      this.wakeFromDelay = wake;
      function done(): void {
        resolve();
      }
    }).finally(() => (this.wakeFromDelay = undefined));
  }
}

async function main(argv: string[]): Promise<number> {
  let options: LauncherOptions;
  try {
    options = parseLauncherArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return writeUsageError(PROGRAM, err.message, LAUNCHER_USAGE);
    throw err;
  }
  const launcher = new Launcher(options);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => launcher.forward(signal));
  log('info', { event: 'launcher-start', root: launcher.layout.root, supervise: options.supervise, maxTrialBoots: options.maxTrialBoots, pid: process.pid });
  return launcher.run();
}

// The executable is this module (the kit installs a one-line entry that imports it): run on load.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log('error', { event: 'launcher-failed', error: (err as Error).stack ?? String(err) });
    process.exit(1);
  },
);
