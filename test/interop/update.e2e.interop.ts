import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateReportState } from '../../cloud-bridge/update-contract.js';
import { DoorProbes, longestGap } from '../update/fixtures-e2e/door-probes.js';
import { InstalledStation, simCommand, simDevice, startUpdateBench, type UpdateBench } from '../update/fixtures-e2e/update-bench.js';

/*
 * A software update end to end on real processes: bundles built by the release command (the
 * package's version and a bumped one) and two broken ones packed from the bumped one's tree,
 * served over HTTPS with a CA of the test's own; a station installed in a temporary app root as
 * the install kit does it, run by the real launcher in --supervise mode (what systemd's
 * Restart= would do), against station-sim and the embedded broker. The fleet's side is a signed
 * document retained on S/desired/version; the station's is S/update.
 */

const GATE_SECONDS = 12;

let bench: UpdateBench;
let station: InstalledStation;
let current: string;
let next: string;

beforeAll(async () => {
  bench = await startUpdateBench('update-e2e-');
  current = bench.fixtures.current.version;
  next = bench.fixtures.next.version;
  station = new InstalledStation(bench, { id: 'upd-e2e-1', gateSeconds: GATE_SECONDS });
  station.install();
  station.start();
  await station.report((r) => r.state === 'committed' && r.running === current, 30_000);
  await station.online(0, current);
}, 240_000);

afterAll(async () => {
  await station?.stop();
  await bench?.close();
});

/** Where the last `switching` report from `from` on is in the recording: the restarts come after it. */
function switchedAt(from: number): number {
  const at = station.lastReportAt('switching', from);
  if (at < 0) throw new Error('no switching report');
  return at;
}

/** The states a report sequence passed through, each run of one state once. */
const passed = (states: UpdateReportState[]): UpdateReportState[] => states.filter((s, i) => i === 0 || states[i - 1] !== s);

describe('a software update on a real station', () => {
  it('takes a signed release: downloads, verifies, installs, switches, holds its trial and commits, the doors open meanwhile', async () => {
    const probes = new DoorProbes(bench, station.o.id);
    const startedAt = Date.now();
    const from = bench.recorder.messages.length;
    probes.start();
    // A few seconds of answers before the update starts, so the gap is measured from a running station.
    await new Promise((r) => setTimeout(r, 2000));
    // When the new release's partial folder is there: tar and the file checks at work.
    const unpacking: number[] = [];
    const watch = setInterval(() => station.partials(next).length > 0 && unpacking.push(Date.now()), 25);
    const revision = await station.publish(bench.fixtures.next);
    const done = await station.report((r) => r.state === 'committed' && r.running === next, 120_000, from).finally(() => clearInterval(watch));
    // Answers after the commit, so the gap is closed on both sides.
    await new Promise((r) => setTimeout(r, 2000));
    await probes.stop();

    const reports = station.reports(from).filter((r) => r.revision === revision);
    expect(passed(reports.map((r) => r.state))).toEqual(['downloading', 'verifying', 'installing', 'switching', 'trial', 'committed']);
    expect(reports.filter((r) => r.state !== 'trial' && r.state !== 'committed').every((r) => r.running === current)).toBe(true);
    expect(reports.filter((r) => r.state === 'trial' || r.state === 'committed').every((r) => r.running === next)).toBe(true);
    expect(reports.every((r) => r.revision === revision && r.version === next && r.rollout === 'e2e')).toBe(true);
    const progress = reports.filter((r) => r.state === 'downloading').at(-1)?.progress;
    expect(progress).toEqual({ bytes: bench.fixtures.next.bytes, total: bench.fixtures.next.bytes });
    expect((await station.retainedReport())).toMatchObject({ state: 'committed', running: next, revision });

    expect(readlinkSync(join(station.root, 'current'))).toBe(join('releases', next));
    expect(station.state()).toMatchObject({ committed: next, previous: current, revision });
    expect(station.state()?.trial).toBeUndefined();
    await station.online(switchedAt(from), next);

    const cloud = longestGap(probes.cloudOk);
    const scanner = longestGap(probes.scannerOk(from));
    console.log(
      `door downtime: cloud path ${cloud.ms} ms, scanner path ${scanner.ms} ms during the committed update ${current} -> ${next}` +
        ` (a probe on each path every 200 ms: ${probes.counts.cloudSent} unlock commands, ${probes.cloudOk.length} OK;` +
        ` ${probes.counts.scansSent} scans, ${probes.scannerOk(from).length} granted)`,
    );
    console.log(`the switch, as the launcher and the gateways logged it:\n  ${station.timeline(startedAt).join('\n  ')}`);
    console.log(`cloud gap ${new Date(cloud.from).toISOString().slice(11, 23)} - ${new Date(cloud.to).toISOString().slice(11, 23)}, scanner gap ${new Date(scanner.from).toISOString().slice(11, 23)} - ${new Date(scanner.to).toISOString().slice(11, 23)}`);
    // The station answered while it unpacked: the unpack does not hold its event loop.
    const [unpackFrom, unpackTo] = [unpacking[0] ?? 0, unpacking.at(-1) ?? 0];
    const answeredWhileUnpacking = probes.cloudOk.filter((t) => t >= unpackFrom && t <= unpackTo).length;
    console.log(`unpacking took ${unpackTo - unpackFrom} ms; ${answeredWhileUnpacking} cloud unlocks answered OK meanwhile; longest gap before the switch: cloud ${longestGap(probes.cloudOk.filter((t) => t < unpackTo)).ms} ms`);
    expect(unpacking.length).toBeGreaterThan(0);
    expect(answeredWhileUnpacking).toBeGreaterThan(0);
    // Both paths answered before and after the restart.
    expect(probes.cloudOk.length).toBeGreaterThan(10);
    expect(probes.scannerOk(from).length).toBeGreaterThan(10);
  }, 180_000);

  it('the lock controller lets people out while no gateway runs', async () => {
    await station.stop();
    // Nothing of the station runs now: the launcher and its gateway have exited.
    expect(station.gatewayPid()).toBeUndefined();
    const before = await simDevice(bench, 'lock-1');
    expect((before['doors'] as Array<{ bolt: string }>)[0]?.bolt).toBe('locked');
    await simCommand(bench, 'lock-1 exit 1');
    const after = await simDevice(bench, 'lock-1');
    expect((after['doors'] as Array<{ bolt: string }>)[0]?.bolt).toBe('unlocked');
    const from = bench.recorder.messages.length;
    station.start();
    await station.report((r) => r.state === 'committed' && r.running === next, 30_000, from);
    await station.online(from, next);
  }, 60_000);

  it('rolls back a release that crashes at start, by itself, and says why', async () => {
    const from = bench.recorder.messages.length;
    const bad = bench.fixtures.crash.version;
    const revision = await station.publish(bench.fixtures.crash);
    const back = await station.report((r) => r.state === 'rolled-back' && r.version === bad, 120_000, from);
    expect(back.report).toMatchObject({ revision, version: bad, running: next, code: 'UPDATE_GATE_FAILED' });
    expect(back.report.problems.join(' ')).toMatch(/stopped 2 times on trial without committing/);
    expect(passed(station.reports(from).filter((r) => r.revision === revision).map((r) => r.state))).toEqual(['downloading', 'verifying', 'installing', 'switching', 'rolled-back']);
    // The crash was the new version's own: it ran, twice, and threw.
    expect(station.output()).toMatch(/this release crashes at start on purpose/);
    expect(station.state()).toMatchObject({ committed: next, lastRollback: { version: bad, code: 'UPDATE_GATE_FAILED', reported: true } });
    expect(readlinkSync(join(station.root, 'current'))).toBe(join('releases', next));
    await station.online(switchedAt(from), next);
    expect(await station.retainedReport()).toMatchObject({ state: 'rolled-back', running: next, version: bad });
  }, 150_000);

  it('rolls back a release whose devices never come online, after its gate, and says which', async () => {
    const from = bench.recorder.messages.length;
    const bad = bench.fixtures.deaf.version;
    const revision = await station.publish(bench.fixtures.deaf);
    const trial = await station.report((r) => r.state === 'trial' && r.running === bad, 90_000, from);
    const back = await station.report((r) => r.state === 'rolled-back' && r.version === bad, 90_000, from);
    expect(back.report).toMatchObject({ revision, version: bad, running: next, code: 'UPDATE_GATE_FAILED' });
    expect(back.report.problems.join(' ')).toMatch(/device lock-1 did not come online within 12 s/);
    expect(back.report.problems.join(' ')).toMatch(/device cabinet-1 did not come online/);
    expect(passed(station.reports(from).filter((r) => r.revision === revision).map((r) => r.state))).toEqual(['downloading', 'verifying', 'installing', 'switching', 'trial', 'rolled-back']);
    expect(station.state()).toMatchObject({ committed: next, lastRollback: { version: bad, reported: true } });
    expect(readlinkSync(join(station.root, 'current'))).toBe(join('releases', next));
    await station.online(switchedAt(from), next);
    expect(await station.retainedReport()).toMatchObject({ state: 'rolled-back', running: next, version: bad });
    expect(trial.index).toBeLessThan(back.index);
  }, 150_000);
});
