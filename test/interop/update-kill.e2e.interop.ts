import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateReport } from '../../cloud-bridge/update-contract.js';
import { waitFor } from '../helpers/wait-for.js';
import { InstalledStation, simCommand, startUpdateBench, type UpdateBench } from '../update/fixtures-e2e/update-bench.js';

/*
 * kill -9 at every step of a software update, on real processes: the gateway (the launcher's
 * child, which the launcher starts again as it would after any crash) or the launcher itself
 * with its child (a power cut, or systemd killing the unit's control group; the test starts the
 * launcher again, as systemd would). After each kill the station must run the old version or the
 * new one, never neither, say which on S/update, and the interrupted update must complete.
 */

type Step = 'downloading' | 'installing' | 'switching' | 'trial';
type Victim = 'gateway' | 'launcher';

// 2 MiB/s: the 18 MB bundle takes about 9 s, so a kill lands in the middle of it.
const BANDWIDTH_KIBPS = 2048;

let bench: UpdateBench;
let template: InstalledStation;
let current: string;
let next: string;
const outcomes: string[] = [];

beforeAll(async () => {
  bench = await startUpdateBench('update-kill-');
  current = bench.fixtures.current.version;
  next = bench.fixtures.next.version;
  // Installed once; each round's app root takes the release from it by hard links.
  template = new InstalledStation(bench, { id: 'kill-template' });
  template.install();
}, 300_000);

afterAll(async () => {
  if (outcomes.length > 0) console.log(`kill -9 outcomes:\n  ${outcomes.join('\n  ')}`);
  await bench?.close();
});

/** An unpack at work: the partial folder of the gateway running now is there. */
const unpacking = (st: InstalledStation): boolean => {
  const pid = st.gatewayPid();
  return pid !== undefined && st.partials(next).includes(`.${next}.${pid}.partial`);
};

/**
 * Waits for the moment of `step` in the update from `from` on. The new version's gate passes
 * within a second of its start, too soon to kill it on trial; so from the switch on the cabinet
 * is made silent, and the gate waits for it until the test lets it answer again.
 */
async function reach(st: InstalledStation, step: Step, from: number): Promise<void> {
  switch (step) {
    case 'downloading':
      // Part of the bundle on disk, most of it still to come.
      await waitFor(() => st.downloaded() >= 2 * 1024 * 1024, 60_000, 'a part of the bundle on disk');
      expect(st.downloaded()).toBeLessThan(bench.fixtures.next.bytes);
      return;
    case 'installing':
      await st.report((r) => r.state === 'installing', 60_000, from);
      // Into tar's work: the partial folder is there and filling (it is renamed into place when whole).
      await waitFor(() => unpacking(st), 10_000, 'the partial release folder');
      await new Promise((r) => setTimeout(r, 500));
      expect(unpacking(st)).toBe(true);
      return;
    case 'switching':
      await st.report((r) => r.state === 'switching', 60_000, from);
      await cabinet(false);
      return;
    case 'trial':
      if (cabinetAnswers) {
        await st.report((r) => r.state === 'switching', 60_000, from);
        await cabinet(false);
      }
      await st.report((r) => r.state === 'trial' && r.running === next, 60_000, from);
      return;
  }
}

let cabinetAnswers = true;
async function cabinet(answers: boolean): Promise<void> {
  await simCommand(bench, answers ? 'cabinet-1 fault clear' : 'cabinet-1 fault silent on');
  cabinetAnswers = answers;
}

/** After a kill: the station back up on one complete version, and S/update saying which. */
async function backUp(st: InstalledStation, from: number, what: string): Promise<UpdateReport> {
  const birth = await bench.recorder.waitFor(st.topic.status, (m) => m.body['online'] === true, 60_000, from).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${st.output()}`);
  });
  const at = bench.recorder.messages.indexOf(birth);
  const { report } = await st.report(() => true, 30_000, at);
  const running = report.running;
  expect([current, next]).toContain(running);
  // The process that reported is the version it says: its birth names the same one.
  expect(birth.body['version']).toBe(running);
  expect(st.layout.hasRelease(running)).toBe(true);
  expect(st.gatewayPid()).toBeDefined();
  const retained = await st.retainedReport();
  expect([current, next]).toContain(retained.running);
  // Unless it has switched again since, what a late subscriber reads is the same version.
  if (!st.reports(at).some((r) => r.state === 'switching')) expect(retained.running).toBe(running);
  outcomes.push(`${what}: back on ${running} (${report.state}), current -> ${st.layout.currentVersion()}`);
  return report;
}

async function round(n: number, kills: Array<[Step, Victim]>): Promise<void> {
  const st = new InstalledStation(bench, { id: `upd-kill-${n}`, template: template.root, bandwidthKiBps: BANDWIDTH_KIBPS, gateSeconds: 12, maxTrialBoots: 3 });
  st.install();
  const from = bench.recorder.messages.length;
  st.start();
  try {
    await st.report((r) => r.state === 'committed' && r.running === current, 60_000, from);
    await st.online(from, current);
    bench.server.reset();
    let since = bench.recorder.messages.length;
    const revision = await st.publish(bench.fixtures.next);
    let killedDownload = false;
    for (const [step, victim] of kills) {
      await reach(st, step, since);
      since = bench.recorder.messages.length;
      if (step === 'downloading') killedDownload = true;
      if (victim === 'gateway') await st.killGateway();
      else {
        await st.killAll();
        st.start();
      }
      await backUp(st, since, `round ${n}, kill -9 of the ${victim} while ${step}`);
      if (step === 'trial') await cabinet(true);
    }
    const done = await st.report((r) => r.state === 'committed' && r.running === next && r.revision === revision, 120_000, from);
    expect(st.state()).toMatchObject({ committed: next, previous: current, revision });
    expect(st.state()?.trial).toBeUndefined();
    expect(readlinkSync(join(st.root, 'current'))).toBe(join('releases', next));
    expect(await st.retainedReport()).toMatchObject({ state: 'committed', running: next, revision });
    // The devices online again under the new version, after its last start.
    await st.online(st.lastReportAt('switching', from), next);
    expect(done.index).toBeGreaterThan(st.lastReportAt('switching', from));
    if (killedDownload) {
      // The download went on from where the kill left it, not from its first byte.
      const resumed = bench.server.requests.filter((r) => r.range !== undefined);
      expect(resumed.length).toBeGreaterThan(0);
      expect(Number(/^bytes=(\d+)-$/.exec(resumed[0]?.range ?? '')?.[1])).toBeGreaterThan(1024 * 1024);
    }
    // Never a half-unpacked release left beside the complete ones: what a kill left is pruned after the commit.
    expect(st.layout.releases()).toEqual([current, next]);
    await waitFor(() => st.partials(next).length === 0, 30_000, 'the partial folders pruned');
    outcomes.push(`round ${n}: committed ${next} (revision ${revision})`);
  } finally {
    await cabinet(true);
    await st.stop();
  }
}

const EVERY_STEP: Step[] = ['downloading', 'installing', 'switching', 'trial'];

describe('kill -9 at every step of an update', () => {
  it('round 1: the gateway killed while downloading, installing, switching and on trial', async () => {
    await round(1, EVERY_STEP.map((step) => [step, 'gateway']));
  }, 240_000);

  it('round 2: the gateway killed at every step again', async () => {
    await round(2, EVERY_STEP.map((step) => [step, 'gateway']));
  }, 240_000);

  it('round 3: the launcher killed with its gateway at every step, started again as systemd would', async () => {
    await round(3, EVERY_STEP.map((step) => [step, 'launcher']));
  }, 240_000);
});
