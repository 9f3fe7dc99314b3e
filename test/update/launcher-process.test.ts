import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../gateway/cli/exit-codes.js';
import { RESTART_EXIT } from '../../gateway/update/launcher/launcher-args.js';
import { ReleaseLayout } from '../../gateway/update/launcher/release-layout.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { alive, boots, killIfAlive, launcherEntry, makeRelease, runLauncher, type FakeBehaviour, type LauncherRun } from './fixtures-launcher/fake-releases.js';

/*
 * The compiled launcher (dist/, built by the global setup) on fake releases whose gateway is a
 * small script that behaves as told (fixtures-launcher/fake-releases.ts): real processes, real
 * signals, a real kill -9, the real layout on disk.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An app root with these releases, 1.0.0 committed; `trial`: that version put on trial from it. */
function appRoot(releases: [string, FakeBehaviour, { switchTo?: string; trialSeconds?: number }?][], trial?: { version: string; seconds: number }): ReleaseLayout {
  const dir = tempDir('launcher-proc-');
  for (const [v, b, o] of releases) makeRelease(dir.path, v, b, o);
  const layout = new ReleaseLayout(dir.path);
  layout.bootstrap('1.0.0');
  if (trial) layout.beginTrial({ version: trial.version, trialSeconds: trial.seconds, now: Date.now() });
  cleanups.push(async () => {
    // Every gateway any launcher of this test started is gone before its folder is.
    for (const b of boots(dir.path)) await killIfAlive(b.pid);
    dir.remove();
  });
  return layout;
}

function launch(layout: ReleaseLayout, options: string[] = [], env: NodeJS.ProcessEnv = {}, nodeFlags: string[] = []): LauncherRun {
  const run = runLauncher(['--root', layout.root, ...options, '--', 'run', '--config', '/etc/station/station.yaml'], env, launcherEntry(), nodeFlags);
  cleanups.push(() => run.stop());
  return run;
}

const eventsNamed = (run: LauncherRun, name: string) => run.events().filter((e) => e['event'] === name);

describe('station-launcher', () => {
  it('starts a version on trial that commits, keeps it, and passes the gateway its arguments, its Node flags, the layout and signals', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'commit']], { version: '1.1.0', seconds: 60 });
    // systemd names the launcher as the watchdog's pid; the child must not see a pid that is not its own.
    // The unit gives the launcher's node the gateway's flags (deploy/station-gateway.service).
    const run = launch(layout, [], { WATCHDOG_PID: String(process.pid) }, ['--max-semi-space-size=1', '--no-opt']);
    await run.waitForOutput('fake-gateway 1.1.0 committed');
    const started = /fake-gateway 1\.1\.0 started (\{.*\})/.exec(run.output())?.[1] ?? '{}';
    expect(JSON.parse(started)).toEqual({ args: ['run', '--config', '/etc/station/station.yaml'], nodeFlags: ['--max-semi-space-size=1', '--no-opt'], root: layout.root, releaseVersion: '1.1.0', watchdogPid: null });
    expect(eventsNamed(run, 'trial-boot')).toMatchObject([{ version: '1.1.0', from: '1.0.0', boot: 1, maxBoots: 2 }]);
    expect(layout.readState()).toMatchObject({ committed: '1.1.0', previous: '1.0.0' });
    expect(layout.readState()?.trial).toBeUndefined();
    await run.waitForOutput('fake-gateway 1.1.0 running');
    run.child.kill('SIGHUP');
    await run.waitForOutput('fake-gateway 1.1.0 reload');
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.output()).toContain('fake-gateway 1.1.0 stopping');

    // Kept: the next start is the committed version, not a trial.
    const next = launch(layout);
    await next.waitForOutput('fake-gateway 1.1.0 running');
    expect(eventsNamed(next, 'start')).toMatchObject([{ version: '1.1.0' }]);
    expect(eventsNamed(next, 'trial-boot')).toEqual([]);
  });

  it('does not count a trial boot that was stopped on request (systemctl stop)', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'hang']], { version: '1.1.0', seconds: 60 });
    const run = launch(layout);
    await run.waitForOutput('fake-gateway 1.1.0 running');
    expect(layout.readState()?.trial?.boots).toBe(1);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(layout.readState()?.trial?.boots).toBe(0);
    expect(eventsNamed(run, 'trial-boot-uncounted')).toHaveLength(1);
  });

  it('rolls a trial that crashes at start back to the previous version after its boots (--supervise)', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'crash']], { version: '1.1.0', seconds: 60 });
    const run = launch(layout, ['--supervise', '--restart-delay-ms', '100', '--max-trial-boots', '2']);
    await run.waitForOutput('fake-gateway 1.0.0 running');
    expect(boots(layout.root).map((b) => b.version)).toEqual(['1.1.0', '1.1.0', '1.0.0']);
    expect(layout.readState()).toMatchObject({ committed: '1.0.0', lastRollback: { version: '1.1.0', code: 'UPDATE_GATE_FAILED', reason: 'version 1.1.0 stopped 2 times on trial without committing', reported: false } });
    expect(layout.currentVersion()).toBe('1.0.0');
    expect(eventsNamed(run, 'rolled-back')).toHaveLength(1);
  });

  it('exec-once, restarted as systemd would: exits with the crash, and the third start rolls back', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'crash']], { version: '1.1.0', seconds: 60 });
    const codes: (number | null)[] = [];
    for (let i = 0; i < 2; i++) codes.push((await launch(layout).exited).code);
    expect(codes).toEqual([1, 1]);
    expect(layout.readState()?.trial?.boots).toBe(2);
    const third = launch(layout);
    await third.waitForOutput('fake-gateway 1.0.0 running');
    expect(layout.readState()?.lastRollback?.version).toBe('1.1.0');
  });

  it('rolls back a trial that hangs without committing at its deadline: SIGTERM, then SIGKILL, exit 75', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'hang-deaf']], { version: '1.1.0', seconds: 4 });
    const trialStarted = Date.parse(layout.readState()?.trial?.startedAt ?? '');
    const run = launch(layout, ['--kill-after-ms', '500']);
    expect(await run.exited).toEqual({ code: RESTART_EXIT, signal: null });
    // A lower bound the trial imposes: not before its 4 s.
    expect(Date.now() - trialStarted).toBeGreaterThanOrEqual(4000);
    expect(run.output()).toContain('fake-gateway 1.1.0 running');
    expect(run.output()).toContain('fake-gateway 1.1.0 ignores SIGTERM');
    expect(eventsNamed(run, 'trial-overdue')).toHaveLength(1);
    expect(eventsNamed(run, 'exit')).toMatchObject([{ version: '1.1.0', trial: true, code: null, signal: 'SIGKILL' }]);
    expect(layout.readState()).toMatchObject({ committed: '1.0.0', lastRollback: { version: '1.1.0', code: 'UPDATE_GATE_FAILED', reason: 'version 1.1.0 did not commit within 4 s' } });
    expect(layout.currentVersion()).toBe('1.0.0');
  });

  it('rolls back at once a trial that refuses the station file (exit 2), and exits 75, never 2', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'refuse']], { version: '1.1.0', seconds: 60 });
    const run = launch(layout, ['--max-trial-boots', '5']);
    expect((await run.exited).code).toBe(RESTART_EXIT);
    expect(boots(layout.root).map((b) => b.version)).toEqual(['1.1.0']);
    expect(layout.readState()).toMatchObject({ committed: '1.0.0', lastRollback: { version: '1.1.0', reason: 'version 1.1.0 refused the station file on trial (exit 2)' } });
    await launch(layout).waitForOutput('fake-gateway 1.0.0 running');
  });

  it('exits 2 when the committed version refuses the station file: the unit does not restart a bad configuration', async () => {
    const layout = appRoot([['1.0.0', 'refuse']]);
    expect((await launch(layout).exited).code).toBe(2);
  });

  it('counts a trial child killed with kill -9, and a new launcher after a kill -9 of the launcher decides from the disk', async () => {
    const layout = appRoot([['1.0.0', 'run'], ['1.1.0', 'hang']], { version: '1.1.0', seconds: 60 });
    const first = launch(layout, ['--supervise', '--restart-delay-ms', '100', '--max-trial-boots', '3']);
    const bootsSeen = (n: number) => waitFor(() => boots(layout.root).length >= n && boots(layout.root), 20_000, `${n} boots`);
    const [boot1] = await bootsSeen(1);
    process.kill(boot1?.pid ?? 0, 'SIGKILL');
    const [, boot2] = await bootsSeen(2);
    expect(boot2?.version).toBe('1.1.0');
    expect(layout.readState()?.trial?.boots).toBe(2);

    first.child.kill('SIGKILL');
    await first.exited;
    // Outside systemd nothing takes the orphan down with the launcher (systemd's cgroup would).
    await killIfAlive(boot2?.pid ?? 0);

    const second = launch(layout, ['--supervise', '--restart-delay-ms', '100', '--max-trial-boots', '3']);
    const [, , boot3] = await bootsSeen(3);
    expect(boot3?.version).toBe('1.1.0');
    expect(eventsNamed(second, 'trial-boot')).toMatchObject([{ boot: 3 }]);
    process.kill(boot3?.pid ?? 0, 'SIGKILL');
    await second.waitForOutput('fake-gateway 1.0.0 running');
    expect(boots(layout.root).map((b) => b.version)).toEqual(['1.1.0', '1.1.0', '1.1.0', '1.0.0']);
    expect(eventsNamed(second, 'exit')[0]).toMatchObject({ version: '1.1.0', signal: 'SIGKILL' });
    expect(layout.readState()).toMatchObject({ committed: '1.0.0', lastRollback: { version: '1.1.0' } });
    expect(alive(boot1?.pid ?? 0) || alive(boot2?.pid ?? 0) || alive(boot3?.pid ?? 0)).toBe(false);
  });

  it('--supervise restarts a gateway that exits, until SIGTERM', async () => {
    const layout = appRoot([['1.0.0', 'crash']]);
    const run = launch(layout, ['--supervise', '--restart-delay-ms', '100']);
    await waitFor(() => boots(layout.root).length >= 3, 20_000, 'three starts');
    run.child.kill('SIGTERM');
    expect((await run.exited).signal).toBeNull();
    expect(boots(layout.root).every((b) => b.version === '1.0.0')).toBe(true);
    // Each start crashed; the last may have been ended by the SIGTERM passed on to it instead.
    const exits = eventsNamed(run, 'exit');
    expect(exits.length).toBeGreaterThanOrEqual(3);
    expect(exits.slice(0, -1).every((e) => e['code'] === 1)).toBe(true);
  });

  it('starts a gateway that exits 75 again at once in what current now points at (no restart delay)', async () => {
    const layout = appRoot([['1.0.0', 'switch', { switchTo: '1.1.0', trialSeconds: 60 }], ['1.1.0', 'commit']]);
    // A delay of 10 min would outlast the test: after 75 there is none.
    const run = launch(layout, ['--supervise', '--restart-delay-ms', '600000']);
    await run.waitForOutput('fake-gateway 1.1.0 committed');
    expect(run.child.exitCode).toBeNull();
    expect(eventsNamed(run, 'exit')).toMatchObject([{ version: '1.0.0', code: 75 }]);
    expect(boots(layout.root).map((b) => b.version)).toEqual(['1.0.0', '1.1.0']);
    expect(layout.readState()).toMatchObject({ committed: '1.1.0', previous: '1.0.0' });
    expect(layout.currentVersion()).toBe('1.1.0');
  });

  it('the same in exec-once mode: the launcher stays, systemd never sees the service stop', async () => {
    const layout = appRoot([['1.0.0', 'switch', { switchTo: '1.1.0', trialSeconds: 60 }], ['1.1.0', 'commit']]);
    const run = launch(layout);
    await run.waitForOutput('fake-gateway 1.1.0 committed');
    expect(run.child.exitCode).toBeNull();
  });

  it('takes an exit 75 that switched nothing as an ordinary exit: no restart at once, no loop', async () => {
    const layout = appRoot([['1.0.0', 'exit75']]);
    expect((await launch(layout).exited).code).toBe(RESTART_EXIT);
    expect(boots(layout.root)).toHaveLength(1);
  });

  it('refuses a bad command line with exit 2 and says what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['--root', '/tmp/x'], /the gateway arguments are missing: put them after --/],
      [['--', 'run'], /--root <app root> is required/],
      [['--root', '/tmp/x', '--max-trial-boots', '0', '--', 'run'], /--max-trial-boots must be an integer 1..100, not "0"/],
      [['--root', '/tmp/x', '--bogus', '--', 'run'], /Unknown option '--bogus'/],
      [['--root', '/tmp/x', '--'], /no gateway arguments after --/],
    ];
    for (const [args, message] of cases) {
      const run = runLauncher(args);
      expect((await run.exited).code, args.join(' ')).toBe(2);
      expect(run.output()).toMatch(message);
      expect(run.output()).toContain('usage: station-launcher');
    }
    expect(RESTART_EXIT).toBe(EXIT.RESTART);
  });

  it('exits 1 with a log line when the app root holds no release', async () => {
    const dir = tempDir('launcher-empty-');
    cleanups.push(() => dir.remove());
    const run = runLauncher(['--root', dir.path, '--', 'run']);
    expect((await run.exited).code).toBe(1);
    expect(run.events()).toMatchObject([{ event: 'launcher-start' }, { event: 'no-release', level: 'error' }]);
  });
});
