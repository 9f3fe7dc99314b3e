import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configReportSchema, type ConfigReport } from '../../cloud-bridge/remote-config-contract.js';
import { HealthGate } from '../../gateway/remote-config/health-gate.js';
import { RemoteConfigAgent, type AcceptedRevision } from '../../gateway/remote-config/remote-config-agent.js';
import { RevisionStore } from '../../gateway/remote-config/revision-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { desired, makeFleetKey, otherKey, sign, signRaw, stationYaml, writeOnSite, type FleetKey } from './remote-config-fixtures.js';

const STATION = 'hz-0001';
let keyDir: ReturnType<typeof tempDir>;
let key: FleetKey;
beforeAll(async () => {
  keyDir = tempDir('remote-agent-keys-');
  key = await makeFleetKey(keyDir.path);
  return () => keyDir.remove();
});

/** A station as the agent sees it: its devices' presence, its broker link, and what it was told to run. */
interface Harness {
  agent: RemoteConfigAgent;
  store: RevisionStore;
  clock: FakeClock;
  reports: ConfigReport[];
  applied: AcceptedRevision[];
  reverted: string[];
  gates: HealthGate[];
  onSite: string;
  dataDir: string;
  /** Devices that come online after an apply (the rest never answer). */
  answering: Set<string>;
  online: string[];
  how: 'live' | 'restart';
}

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('remote-agent-');
});
afterEach(() => dir.remove());

function harness(existing?: Pick<Harness, 'clock'>): Harness {
  const dataDir = join(dir.path, 'data');
  mkdirSync(dataDir, { recursive: true });
  const clock = existing?.clock ?? new FakeClock();
  const h: Partial<Harness> = {};
  const store = new RevisionStore(join(dir.path, 'state'));
  const onSite = join(dir.path, 'station.yaml');
  writeOnSite(dir.path, stationYaml({ id: STATION, dataDir }));
  Object.assign(h, { store, clock, reports: [], applied: [], reverted: [], gates: [], onSite, dataDir, answering: new Set(['cabinet-1']), online: ['cabinet-1'], how: 'live' });
  const full = h as Harness;
  full.agent = new RemoteConfigAgent({
    stationId: STATION,
    store,
    configKeys: key.stationKeys,
    clock,
    gateSeconds: 60,
    onSiteFile: onSite,
    publish: (report) => {
      expect(configReportSchema.safeParse(report).success, JSON.stringify(report)).toBe(true);
      full.reports.push(report);
    },
    onlineDevices: () => full.online,
    runningDevices: () => ['cabinet-1'],
    apply: async (revision) => {
      full.applied.push(revision);
      return full.how;
    },
    openGate: (expectOnline) => {
      const gate = new HealthGate({ clock, gateSeconds: 60, expectOnline, probeStore: async () => undefined });
      full.gates.push(gate);
      // The station after the apply: the broker link back, and each device that answers.
      queueMicrotask(() => {
        gate.brokerConnected(true);
        for (const id of full.answering) gate.deviceOnline(id, true);
      });
      return gate;
    },
    revert: async (file) => void full.reverted.push(file),
  });
  return full;
}

const states = (h: Harness): Array<[number | null, string, string | undefined]> => h.reports.map((r) => [r.revision, r.state, r.code]);

async function push(h: Harness, revision: number, yaml: string, replaceDrift = false): Promise<ConfigReport | undefined> {
  return h.agent.handleDesired(desired(await sign(key, STATION, revision, { 'station.yaml': yaml }, replaceDrift)));
}

describe('the remote configuration agent', () => {
  it('applies a valid revision that passes its gate: applying, then applied, committed in the store', async () => {
    const h = harness();
    h.answering.add('water-1');
    const yaml = stationYaml({ id: STATION, dataDir: h.dataDir, extraDevice: true });
    const report = await push(h, 1, yaml);
    expect(states(h)).toEqual([[1, 'applying', undefined], [1, 'applied', undefined]]);
    expect(report).toMatchObject({ revision: 1, state: 'applied', running: 1, problems: [], drift: [] });
    expect(h.applied[0]?.station.config.devices.map((d) => d.id)).toEqual(['cabinet-1', 'water-1']);
    expect(h.store.read()).toMatchObject({ state: 'committed', current: { revision: 1 }, lastGood: { revision: 1 } });
    expect(h.gates).toHaveLength(1);
    // The same retained document after a reconnect: nothing to do, nothing reported.
    expect(await h.agent.handleDesired(desired(readFileSync(join(h.store.dirOf(1), '.document.jws'), 'utf8')))).toBeUndefined();
    expect(h.reports).toHaveLength(2);
  });

  it('rejects a revision with a schema error with each problem as validate prints it; the station runs what it ran', async () => {
    const h = harness();
    await push(h, 1, stationYaml({ id: STATION, dataDir: h.dataDir }));
    const bad = stationYaml({ id: STATION, dataDir: h.dataDir }).replace('unitId: 1 }', 'unitId: 1 }\n    pollMs: 10');
    const report = await push(h, 2, bad);
    expect(report).toMatchObject({ revision: 2, state: 'rejected', code: 'CONFIG_INVALID', running: 1 });
    expect(report?.problems).toEqual([`${join(h.store.dirOf(2), 'station.yaml')}:14: devices[0] (cabinet-1).pollMs: must be at least 50`]);
    expect(h.applied).toHaveLength(1);
    expect(h.store.resolve(h.onSite)).toMatchObject({ revision: 1 });
  });

  it('reports at most 50 problems, so the report fits the connection\'s 64 KiB packet whatever the file holds', async () => {
    const h = harness();
    const many = Array.from({ length: 200 }, (_, i) => `  door-${i}: { device: missing-${i}-${'x'.repeat(40)} }`).join('\n');
    const yaml = stationYaml({ id: STATION, dataDir: h.dataDir }).replace('resources:\n', `resources:\n${many}\n`);
    const report = await push(h, 1, yaml);
    expect(report?.state).toBe('rejected');
    expect(report?.problems).toHaveLength(50);
    expect(report?.problems.at(-1)).toBe('... and 151 more problems (station-gateway validate on the station lists them all)');
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(32 * 1024);
  });

  it('rolls back a revision whose device never answers, at the end of the gate, and reports what was missing', async () => {
    const h = harness();
    await push(h, 1, stationYaml({ id: STATION, dataDir: h.dataDir }));
    h.answering.clear();
    const result = push(h, 2, stationYaml({ id: STATION, dataDir: h.dataDir, devicePort: 6020 }));
    // Verifying and validating take real time; the gate then waits on fake time.
    await waitFor(() => h.gates.length === 2, 10_000, 'the gate of revision 2');
    expect(h.store.read()).toMatchObject({ state: 'trial', current: { revision: 2 }, lastGood: { revision: 1 } });
    await h.clock.advanceSettling(60_000);
    const report = await result;
    expect(report).toMatchObject({ revision: 2, state: 'rolled-back', code: 'CONFIG_GATE_FAILED', running: 1, problems: ['device cabinet-1 did not come online within 60 s'] });
    expect(h.reverted).toEqual([join(h.store.dirOf(1), 'station.yaml')]);
    expect(h.store.read()).toMatchObject({ state: 'committed', current: { revision: 1 } });
  });

  it('rolls back a revision whose added device never answers: a new device must answer too', async () => {
    const h = harness();
    await push(h, 1, stationYaml({ id: STATION, dataDir: h.dataDir }));
    const result = push(h, 2, stationYaml({ id: STATION, dataDir: h.dataDir, extraDevice: true }));
    await waitFor(() => h.gates.length === 2, 10_000, 'the gate of revision 2');
    await h.clock.advanceSettling(60_000);
    const report = await result;
    expect(report).toMatchObject({ revision: 2, state: 'rolled-back', code: 'CONFIG_GATE_FAILED', running: 1 });
    expect(report?.problems.join('\n')).toMatch(/water-1/);
  });

  it('refuses a bad signature, another key, an older revision and a payload that is not a document, each with its code', async () => {
    const h = harness();
    await push(h, 5, stationYaml({ id: STATION, dataDir: h.dataDir }));
    const forged = await signRaw(await otherKey(), key.signing.kid, { typ: 'station-config', station: STATION, revision: 9, issuedAt: '2026-12-01T10:00:00.000Z', files: { 'station.yaml': 'x' } });
    expect(await h.agent.handleDesired(desired(forged))).toMatchObject({ revision: 9, state: 'rejected', code: 'CONFIG_BAD_SIGNATURE', running: 5 });
    expect(await push(h, 4, stationYaml({ id: STATION, dataDir: h.dataDir }))).toMatchObject({ revision: 4, state: 'rejected', code: 'CONFIG_REVISION_NOT_NEWER', running: 5 });
    expect(await h.agent.handleDesired(Buffer.from('{"doc":1}'))).toMatchObject({ revision: null, state: 'rejected', code: 'CONFIG_DOCUMENT_MALFORMED' });
    // An empty retained payload clears the desired configuration: nothing to do.
    expect(await h.agent.handleDesired(Buffer.alloc(0))).toBeUndefined();
    expect(h.applied).toHaveLength(1);
  });

  it('reports a change made on site as drift and refuses to replace it, until a push says to', async () => {
    const h = harness();
    await push(h, 1, stationYaml({ id: STATION, dataDir: h.dataDir }));
    const running = join(h.store.dirOf(1), 'station.yaml');
    writeFileSync(running, `${readFileSync(running, 'utf8')}# pollMs raised by the crew\n`);
    expect(h.agent.currentReport().drift.map((d) => d.file)).toEqual([running]);
    const refused = await push(h, 2, stationYaml({ id: STATION, dataDir: h.dataDir }));
    expect(refused).toMatchObject({ revision: 2, state: 'rejected', code: 'CONFIG_DRIFT', running: 1 });
    expect(refused?.problems).toEqual([`${running} was changed on site since revision 1 was applied; push with --replace-drift to replace it`]);
    expect(refused?.drift).toHaveLength(1);
    const replaced = await push(h, 3, stationYaml({ id: STATION, dataDir: h.dataDir }), true);
    expect(replaced).toMatchObject({ revision: 3, state: 'applied', running: 3, drift: [] });
  });

  it('applied by a restart: the next start runs the gate; a revision that keeps the gateway from starting is rolled back by the boot count', async () => {
    const h = harness();
    await push(h, 1, stationYaml({ id: STATION, dataDir: h.dataDir }));
    h.how = 'restart';
    expect(await push(h, 2, stationYaml({ id: STATION, dataDir: h.dataDir, extraDevice: true }))).toBeUndefined();
    expect(states(h).at(-1)).toEqual([2, 'applying', undefined]);
    expect(h.store.resolve(h.onSite)).toMatchObject({ revision: 2, state: 'trial' });

    // The restart: a fresh agent on the same store; its gate passes.
    const after = harness(h);
    after.answering.add('water-1');
    const { gate } = await after.agent.resumeAtStart();
    expect(await gate).toMatchObject({ passed: true });
    expect(after.reports.at(-1)).toMatchObject({ revision: 2, state: 'applied', running: 2 });

    // Revision 3 crashes the gateway at every start, before its gate decides.
    h.how = 'restart';
    await push(h, 3, stationYaml({ id: STATION, dataDir: h.dataDir }));
    for (let boot = 1; boot <= 2; boot++) {
      const crashing = harness(h);
      crashing.answering.clear();
      const started = await crashing.agent.resumeAtStart();
      expect(started.gate).toBeDefined();
      crashing.gates[0]?.cancel();
    }
    const last = harness(h);
    expect(await last.agent.resumeAtStart()).toEqual({ gate: undefined });
    expect(last.reports.at(-1)).toMatchObject({ revision: 3, state: 'rolled-back', code: 'CONFIG_GATE_FAILED', running: 2, problems: ['the gateway started 3 times in revision 3 without passing its health gate'] });
    expect(h.store.resolve(h.onSite)).toMatchObject({ revision: 2, state: 'committed' });
  });
});
