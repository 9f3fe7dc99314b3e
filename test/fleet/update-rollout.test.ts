import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import type { UpdateReport } from '../../cloud-bridge/update-contract.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { FleetRunner } from '../../fleet/fleet-runner.js';
import { plannedToFailUpdate } from '../../fleet/simulated-update-agent.js';
import { readBundleFile } from '../../fleet/update/bundle-files.js';
import { rollBackRing } from '../../fleet/update/roll-back-ring.js';
import { allowedFailures, parseFailureThreshold, parseRings, planRings } from '../../fleet/update/rollout-plan.js';
import { RolloutProgress } from '../../fleet/update/rollout-progress.js';
import { runRollout } from '../../fleet/update/run-rollout.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { DesiredVersionLog, makeBundle, makeUpdateKeys, payloadOf, retainedDesired, type UpdateKeys } from './update-fixtures.js';

/*
 * station-fleet update over the embedded broker, to simulated stations of `station-fleet
 * simulate` (the gateway's own bridge per station, its own MQTT connection, the simulated update
 * agent verifying each document with the gateway's verifier): all commit; a share fails and the
 * second ring stops the rollout, the third never gets a document; the failed ring rolled back;
 * the rollout's process killed -9 mid-ring and run again.
 */

const CLI = distEntry('fleet/cli/station-fleet.js');
const OLD = '0.1.0-fleet';
const NEW = '0.2.0';
const BASE = 'https://releases.example.net/station-gateway';
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let keys: UpdateKeys;
let bundles: string[];
let oldBundle: string;
let log: DesiredVersionLog;
const runners: FleetRunner[] = [];

beforeAll(async () => {
  dir = tempDir('update-rollout-');
  broker = await startEmbeddedBroker({ port: 0 });
  keys = await makeUpdateKeys(join(dir.path, 'keys'));
  mkdirSync(join(dir.path, 'bundles'));
  bundles = [makeBundle(join(dir.path, 'bundles'), NEW, 'arm64', keys.releaseKeyFile), makeBundle(join(dir.path, 'bundles'), NEW, 'x64', keys.releaseKeyFile)];
  oldBundle = makeBundle(join(dir.path, 'bundles'), OLD, 'arm64', keys.releaseKeyFile);
  log = await DesiredVersionLog.connect(broker.url);
});
afterAll(async () => {
  for (const r of runners) await r.stop();
  await log?.close();
  await broker?.close();
  dir?.remove();
});

/** A simulated fleet with the update agent, every station connected and its first report retained. */
async function startFleet(idPrefix: string, stations: number, updateFailPercent: number, seed: number, stepMs: number): Promise<string[]> {
  const runner = new FleetRunner({
    broker: broker.url,
    stations,
    faultyPercent: 0,
    seed,
    idPrefix,
    connectRate: 400,
    tickSeconds: 60,
    version: OLD,
    updates: { keys: keys.stationKeys, stateDir: join(dir.path, 'state', idPrefix), arch: 'arm64', stepMs },
    updateFailPercent,
  });
  runners.push(runner);
  runner.start();
  await waitFor(() => runner.status().connected === stations, 30_000, `${stations} stations connected`);
  return runner.stations.map((s) => s.id);
}

/** The first seed whose planned failures pass 5% in ring 2 and not in ring 1 (the canary commits). */
function seedStoppingAtRing2(stations: number, failPercent: number, idPrefix: string): { seed: number; failing: Set<string> } {
  for (let seed = 1; seed < 1000; seed++) {
    const plans = planFleet({ stations, faultyPercent: 0, seed, idPrefix });
    const failing = new Set(plans.filter((p) => plannedToFailUpdate(p.seed, failPercent)).map((p) => p.id));
    const rings = planRings(plans.map((p) => p.id), parseRings('1,10%,rest'));
    const failed = rings.map((r) => r.filter((s) => failing.has(s)).length);
    const allowed = rings.map((r) => allowedFailures(parseFailureThreshold('5%'), r.length));
    if (failed[0] === 0 && (failed[1] ?? 0) > (allowed[1] ?? 0)) return { seed, failing };
  }
  throw new Error('no seed found');
}

async function lastReports(stations: readonly string[]): Promise<Map<string, UpdateReport>> {
  const rec = await MqttRecorder.connect(broker.url, 'stations/+/update');
  try {
    await waitFor(() => stations.every((s) => rec.on(`stations/${s}/update`).length > 0), 15_000, 'every station\'s retained report');
    return new Map(stations.map((s) => [s, rec.on(`stations/${s}/update`).at(-1)?.body as unknown as UpdateReport]));
  } finally {
    await rec.close();
  }
}

const common = () => ({
  broker: { url: broker.url },
  prefix: 'stations',
  key: keys.signing,
  timeoutSeconds: 120,
  summaryEverySeconds: 0,
  collectSeconds: 10,
});

describe('station-fleet update to simulated stations', () => {
  it('takes every station of three rings to the new version, each published to once', async () => {
    const ids = await startFleet('ua', 20, 0, 5, 30);
    const lines: string[] = [];
    const summary = await runRollout({
      ...common(),
      stations: ids,
      version: NEW,
      bundles: bundles.map((b) => readBundleFile(b, BASE)),
      ringSpec: '1,25%,rest',
      threshold: parseFailureThreshold('5%'),
      progressFile: join(dir.path, 'ua.progress.jsonl'),
      out: (l) => lines.push(l),
    });
    expect(summary.completed).toBe(true);
    expect(summary.results.map((r) => [r.ring, r.stations, r.committed, r.passed])).toEqual([
      [1, 1, 1, true],
      [2, 5, 5, true],
      [3, 14, 14, true],
    ]);
    const reports = await lastReports(ids);
    for (const id of ids) {
      expect(reports.get(id), id).toMatchObject({ state: 'committed', running: NEW, version: NEW, revision: summary.revision, rollout: summary.id });
      expect(log.count(id), id).toBe(1);
      const doc = payloadOf(log.published.get(id)?.[0] as string);
      expect(doc).toMatchObject({ station: id, version: NEW, revision: summary.revision });
      expect(Object.keys(doc['bundles'] as object).sort()).toEqual(['arm64', 'x64']);
    }
    expect(lines).toContain('ring 1/3 started: 1 station; stops the rollout past 0 failed');
    expect(lines.filter((l) => /^ring \d\/3 passed: /.test(l))).toHaveLength(3);
    expect(lines.at(-1)).toMatch(new RegExp(`^rollout ${summary.id} finished: 20 committed, 0 rejected, 0 rolled back, 0 no report \\(`));
    const progress = RolloutProgress.open(join(dir.path, 'ua.progress.jsonl'));
    expect([...progress.before.values()]).toEqual(ids.map(() => OLD));
    expect(ids.every((s) => progress.isDone('rollout', s))).toBe(true);
  }, 60_000);

  it('stops itself at the ring past its threshold; the next ring gets no document; that ring rolled back goes back to what it ran', async () => {
    const N = 40;
    const { seed, failing } = seedStoppingAtRing2(N, 30, 'ub');
    const ids = await startFleet('ub', N, 30, seed, 30);
    const rings = planRings(ids, parseRings('1,10%,rest'));
    const lines: string[] = [];
    const progressFile = join(dir.path, 'ub.progress.jsonl');
    const summary = await runRollout({
      ...common(),
      stations: ids,
      version: NEW,
      bundles: bundles.map((b) => readBundleFile(b, BASE)),
      threshold: parseFailureThreshold('5%'),
      progressFile,
      out: (l) => lines.push(l),
    });
    const ring2Failing = (rings[1] as string[]).filter((s) => failing.has(s));
    expect(summary.completed).toBe(false);
    expect(summary.stoppedAtRing).toBe(2);
    expect(summary.results.map((r) => [r.ring, r.committed, r.rolledBack, r.passed])).toEqual([
      [1, 1, 0, true],
      [2, 4 - ring2Failing.length, ring2Failing.length, false],
    ]);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ring 2/3 stopped the rollout: ${ring2Failing.length} of 4 stations failed .*more than the 0 allowed \\(5%\\); ring 3 \\(35 stations\\) gets no document`)));
    for (const s of ring2Failing) expect(lines).toContain(`${s}  rolled back (UPDATE_GATE_FAILED), runs ${OLD}`);
    // Nothing retained for the third ring; the first two rings' documents are (the control).
    const ring3 = rings[2] as string[];
    const retained = await retainedDesired(broker.url, ring3, [...(rings[0] as string[]), ...(rings[1] as string[])]);
    expect(ring3.filter((s) => retained.has(s))).toEqual([]);
    expect(ring3.every((s) => log.count(s) === 0)).toBe(true);

    await expect(rollBackRing({ ...common(), progressFile, ring: 3, bundles: [readBundleFile(oldBundle, BASE)], out: () => undefined })).rejects.toThrow(/ring 3 of rollout .* never started/);
    const back: string[] = [];
    const rb = await rollBackRing({ ...common(), progressFile, ring: 2, bundles: [readBundleFile(oldBundle, BASE)], out: (l) => back.push(l) });
    expect(rb).toMatchObject({ ring: 2, committed: 4, rejected: 0, rolledBack: 0, timedOut: 0, unknown: [], versions: { [OLD]: 4 } });
    expect(rb.revision).toBeGreaterThan(summary.revision);
    const reports = await lastReports(rings[1] as string[]);
    for (const s of rings[1] as string[]) {
      expect(reports.get(s), s).toMatchObject({ state: 'committed', running: OLD, version: OLD, revision: rb.revision });
      expect(payloadOf(log.published.get(s)?.at(-1) as string)).toMatchObject({ version: OLD, revision: rb.revision, rollout: rb.id });
    }
    expect(back.at(-1)).toMatch(/^rollback of ring 2 finished: 4 committed, 0 rejected, 0 rolled back, 0 no report/);
  }, 60_000);

  it('killed -9 mid-ring and run again: carries on at that ring, publishes nothing to a station already final, finishes', async () => {
    const ids = await startFleet('uc', 30, 0, 9, 150);
    const list = join(dir.path, 'uc.list');
    writeFileSync(list, `# the canary first\n${ids.join('\n')}\n`);
    const progressFile = join(dir.path, 'uc.progress.jsonl');
    const args = ['update', '--list', list, '--version', NEW, ...bundles.flatMap((b) => ['--bundle', b]), '--base-url', BASE, '--key', keys.privateKeyFile, '--broker', broker.url, '--rings', '1,30%,rest', '--progress-file', progressFile, '--summary-seconds', '1', '--collect-seconds', '10', '--timeout-seconds', '120'];
    const outcomes = (): number => readFileSync(progressFile, 'utf8').split('\n').filter((l) => l.startsWith('{"outcome"')).length;
    const first = runNode(CLI, args);
    try {
      // The canary and two of ring 2's nine stations final: ring 2 is under way.
      await waitFor(() => { try { return outcomes() >= 3; } catch { return false; } }, 30_000, 'three outcomes in the progress file');
      await first.kill();
    } finally {
      await first.stop();
    }
    expect((await first.exited).signal).toBe('SIGKILL');
    const atKill = RolloutProgress.open(progressFile);
    const finalAtKill = ids.filter((s) => atKill.isDone('rollout', s));
    expect(finalAtKill.length).toBeGreaterThanOrEqual(3);
    expect(finalAtKill.length).toBeLessThan(30);

    const second = runNode(CLI, args);
    // Bounded well inside the test's own time, so that a run again that waits shows what it printed.
    const exit = await Promise.race([second.exited, sleep(50_000).then(() => undefined)]);
    const out = second.output();
    if (exit === undefined) {
      await second.stop();
      throw new Error(`the run again did not finish within 50 s; it printed:\n${out}\nthe first run printed:\n${first.output()}`);
    }
    expect(exit.code, out).toBe(0);
    expect(out).toMatch(new RegExp(`^resuming ${progressFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rollout ${NEW}-\\d{8}T\\d{4} of ${NEW}, ${finalAtKill.length} of 30 stations final already`, 'm'));
    expect(out).not.toContain('ring 1/3 started');
    expect(out).toMatch(/^ring 3\/3 passed: 20 committed/m);
    for (const s of finalAtKill) expect(log.count(s), s).toBe(1);
    // Nor to one under way at the kill: its report was on this revision when the run again began.
    for (const s of ids) expect(log.count(s), s).toBe(1);
    const reports = await lastReports(ids);
    for (const s of ids) expect(reports.get(s)?.running, s).toBe(NEW);
    expect(ids.every((s) => RolloutProgress.open(progressFile).isDone('rollout', s))).toBe(true);
  }, 90_000);

  it('counts a station that refuses the document (another key, no bundle for its architecture) or reports nothing in time as failed, with the reason', async () => {
    const ids = await startFleet('ud', 4, 0, 11, 30);
    const otherKey = await makeUpdateKeys(join(dir.path, 'other-keys'));
    const run = (name: string, o: Partial<Parameters<typeof runRollout>[0]>) => {
      const lines: string[] = [];
      const summary = runRollout({
        ...common(),
        stations: ids,
        version: NEW,
        bundles: bundles.map((b) => readBundleFile(b, BASE)),
        ringSpec: 'rest',
        threshold: parseFailureThreshold('100%'),
        progressFile: join(dir.path, `${name}.progress.jsonl`),
        out: (l) => lines.push(l),
        ...o,
      });
      return { summary, lines };
    };
    const forged = run('ud-key', { key: otherKey.signing });
    expect((await forged.summary).results[0]).toMatchObject({ rejected: 4, committed: 0 });
    for (const s of ids) expect(forged.lines).toContain(`${s}  rejected (UPDATE_BAD_DOCUMENT_SIGNATURE), runs ${OLD}`);
    const x64Only = run('ud-arch', { bundles: [readBundleFile(bundles[1] as string, BASE)] });
    expect((await x64Only.summary).results[0]).toMatchObject({ rejected: 4 });
    expect(x64Only.lines).toContain(`${ids[0]}  rejected (UPDATE_WRONG_ARCH), runs ${OLD}`);
    expect(x64Only.lines).toContain('    the document names no bundle for linux-arm64 (it has linux-x64)');
    const reports = await lastReports(ids);
    expect(reports.get(ids[0] as string)).toMatchObject({ state: 'rejected', code: 'UPDATE_WRONG_ARCH', running: OLD });

    // A station that is not there: its ring waits its timeout, counts it failed, and stops the rollout.
    const ghost = run('ud-ghost', { stations: ['ud-ghost', ...ids], ringSpec: '1,rest', threshold: parseFailureThreshold('0'), timeoutSeconds: 2, collectSeconds: 1 });
    const g = await ghost.summary;
    expect(g.stoppedAtRing).toBe(1);
    expect(g.results).toEqual([expect.objectContaining({ ring: 1, timedOut: 1, passed: false })]);
    expect(ghost.lines).toContain('ud-ghost  no final report in time');
    expect(ghost.lines).toContain('    no report on this document within 2 s');
    expect(ids.every((s) => log.count(s) === 2)).toBe(true);
  }, 60_000);

  it('a simulator stopped mid-update and started again carries on with the document it took, and commits', async () => {
    const ids = await startFleet('ue', 3, 0, 13, 400);
    const rec = await MqttRecorder.connect(broker.url, 'stations/+/update');
    const lines: string[] = [];
    const rollout = runRollout({
      ...common(),
      stations: ids,
      version: NEW,
      bundles: bundles.map((b) => readBundleFile(b, BASE)),
      ringSpec: 'rest',
      threshold: parseFailureThreshold('0'),
      progressFile: join(dir.path, 'ue.progress.jsonl'),
      out: (l) => lines.push(l),
    });
    try {
      await rec.waitFor(`stations/${ids[0]}/update`, (m) => m.body['state'] === 'installing', 30_000);
      await runners.at(-1)?.stop();
    } finally {
      await rec.close();
    }
    // The same fleet, the same state folder: the retained document comes again, taken already.
    await startFleet('ue', 3, 0, 13, 40);
    const summary = await rollout;
    expect(summary.results[0]).toMatchObject({ committed: 3, rejected: 0, rolledBack: 0, timedOut: 0 });
    for (const id of ids) expect(log.count(id), id).toBe(1);
    const reports = await lastReports(ids);
    for (const id of ids) expect(reports.get(id)).toMatchObject({ state: 'committed', running: NEW, revision: summary.revision });
  }, 60_000);
});
