import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { plannedToFailUpdate } from '../../fleet/simulated-update-agent.js';
import { readBundleFile } from '../../fleet/update/bundle-files.js';
import { allowedFailures, parseFailureThreshold, parseRings, planRings, type FailureThreshold } from '../../fleet/update/rollout-plan.js';
import { runRollout, type RolloutSummary } from '../../fleet/update/run-rollout.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { DesiredVersionLog, makeBundle, makeUpdateKeys, retainedDesired, type UpdateKeys } from './update-fixtures.js';

/*
 * A rollout to a fleet of `station-fleet simulate` (its own process, every station with its own
 * MQTT connection and the simulated update agent), a share of which fails its trial: the rollout
 * stops at the ring the plan says passes 5%, the next ring gets nothing; run again with a higher
 * threshold it carries on from there and finishes. FLEET_UPDATE_STATIONS=2000 is the full run
 * (docs/rollouts.md has its figures); the default keeps the suite fast.
 */

const COUNT = Number(process.env.FLEET_UPDATE_STATIONS ?? 200);
const STEP_MS = Number(process.env.FLEET_UPDATE_STEP_MS ?? 100);
const FAIL_PERCENT = 10;
const RINGS = '1,10%,rest';
const STRICT = parseFailureThreshold('5%');
const LENIENT = parseFailureThreshold('20%');
const CLI = distEntry('fleet/cli/station-fleet.js');

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let keys: UpdateKeys;
let fleet: RunningProcess | undefined;
let log: DesiredVersionLog;

/** The first seed whose planned failures pass the strict threshold in ring 2 only, and the lenient one nowhere. */
function chooseSeed(): { seed: number; ids: string[]; rings: string[][]; failing: Set<string> } {
  const passes = (t: FailureThreshold, ring: string[], failing: Set<string>): boolean => ring.filter((s) => failing.has(s)).length <= allowedFailures(t, ring.length);
  for (let seed = 1; seed < 10_000; seed++) {
    const plans = planFleet({ stations: COUNT, faultyPercent: 0, seed });
    const ids = plans.map((p) => p.id);
    const failing = new Set(plans.filter((p) => plannedToFailUpdate(p.seed, FAIL_PERCENT)).map((p) => p.id));
    const rings = planRings(ids, parseRings(RINGS));
    const [r1, r2, r3] = rings as [string[], string[], string[]];
    if (passes(STRICT, r1, failing) && !passes(STRICT, r2, failing) && passes(LENIENT, r2, failing) && passes(LENIENT, r3, failing)) return { seed, ids, rings, failing };
  }
  throw new Error('no seed fits');
}

beforeAll(async () => {
  dir = tempDir('update-fleet-');
  broker = await startEmbeddedBroker({ port: 0 });
  keys = await makeUpdateKeys(join(dir.path, 'keys'));
  log = await DesiredVersionLog.connect(broker.url);
});
afterAll(async () => {
  await fleet?.stop();
  await log?.close();
  await broker?.close();
  dir?.remove();
});

describe(`station-fleet update over ${COUNT} simulated stations, ${FAIL_PERCENT}% of them failing their trial`, () => {
  it('stops at the ring that passes 5%, leaves the next without a document, and carries on from there with a higher threshold', async () => {
    const { seed, ids, rings, failing } = chooseSeed();
    const bundles = [makeBundle(dir.path, '0.2.0', 'arm64', keys.releaseKeyFile), makeBundle(dir.path, '0.2.0', 'armhf', keys.releaseKeyFile)].map((b) => readBundleFile(b, 'https://releases.example.net'));
    const started = Date.now();
    fleet = runNode(CLI, [
      'simulate', '--stations', String(COUNT), '--broker', broker.url, '--seed', String(seed), '--tick', '60', '--rate', '500',
      '--update-keys', keys.publicKeysFile, '--state-dir', join(dir.path, 'state'), '--running-version', '0.1.0',
      '--update-fail', String(FAIL_PERCENT), '--update-step-ms', String(STEP_MS),
    ]);
    const reports = await MqttRecorder.connect(broker.url, 'stations/+/update');
    try {
      await waitFor(() => new Set(reports.messages.map((m) => m.topic)).size === COUNT, 240_000, `all ${COUNT} stations' first update report`);
    } finally {
      await reports.close();
    }
    const fleetUpMs = Date.now() - started;
    const lines: string[] = [];
    const out = (l: string): void => {
      lines.push(l);
      if (/^(ring|rollout|resuming|\[)/.test(l)) process.stdout.write(`  ${l}\n`);
    };
    const base = {
      broker: { url: broker.url },
      prefix: 'stations',
      key: keys.signing,
      stations: ids,
      bundles,
      ringSpec: RINGS,
      progressFile: join(dir.path, 'rollout.progress.jsonl'),
      timeoutSeconds: 300,
      summaryEverySeconds: 5,
      collectSeconds: 30,
      out,
    };
    const first: RolloutSummary = await runRollout({ ...base, version: '0.2.0', threshold: STRICT });
    const inRing = (i: number): number => (rings[i] as string[]).filter((s) => failing.has(s)).length;
    expect(first.stoppedAtRing).toBe(2);
    expect(first.results.map((r) => [r.stations, r.committed, r.rolledBack, r.rejected, r.timedOut])).toEqual([
      [1, 1, 0, 0, 0],
      [(rings[1] as string[]).length, (rings[1] as string[]).length - inRing(1), inRing(1), 0, 0],
    ]);
    const ring3 = rings[2] as string[];
    const retained = await retainedDesired(broker.url, ring3, [...(rings[0] as string[]), ...(rings[1] as string[])]);
    expect(ring3.filter((s) => retained.has(s))).toEqual([]);
    expect(ring3.filter((s) => log.count(s) > 0)).toEqual([]);

    const second = await runRollout({ ...base, threshold: LENIENT });
    expect(second.completed).toBe(true);
    expect(second.results.map((r) => [r.ring, r.committed, r.rolledBack, r.passed])).toEqual([
      [2, (rings[1] as string[]).length - inRing(1), inRing(1), true],
      [3, ring3.length - inRing(2), inRing(2), true],
    ]);
    // Ring 2 was final: the second run published nothing to it.
    expect(ids.filter((s) => log.count(s) !== 1)).toEqual([]);
    process.stdout.write(
      `update rollout over ${COUNT} stations (step ${STEP_MS} ms): fleet up in ${(fleetUpMs / 1000).toFixed(1)} s; ` +
        `first run stopped at ring 2 after ${(first.elapsedMs / 1000).toFixed(1)} s (${first.results.map((r) => `ring ${r.ring}: ${r.committed} committed, ${r.rolledBack} rolled back of ${r.stations}`).join('; ')}); ` +
        `second run ${(second.elapsedMs / 1000).toFixed(1)} s (${second.results.map((r) => `ring ${r.ring}: ${r.committed} committed, ${r.rolledBack} rolled back of ${r.stations}`).join('; ')}); seed ${seed}\n`,
    );
  }, 900_000);
});
