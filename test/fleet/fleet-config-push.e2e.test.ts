import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { writeConfigKey } from '../../fleet/config/config-keys.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { mulberry32 } from '../../simulators/modbus/seeded-random.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * `station-fleet config push` to a simulated fleet whose stations take configuration through the
 * gateway's own agent (verify, validate, revision store, health gate, rollback), a share of them
 * planned to fail the gate. FLEET_PUSH_STATIONS sets the size (the run is 2,000).
 */

const STATIONS = Number(process.env['FLEET_PUSH_STATIONS'] ?? 150);
const SEED = 11;
const GATE_FAIL = 10;
const CLI = distEntry('fleet', 'cli', 'station-fleet.js');

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let fleet: RunningProcess;
let recorder: MqttRecorder;
let keys: { privateKeyFile: string; publicKeysFile: string };

beforeAll(async () => {
  dir = tempDir('fleet-push-');
  broker = await startEmbeddedBroker({ port: 0 });
  keys = await writeConfigKey(join(dir.path, 'keys'), 'fleet-config-1');
  recorder = await MqttRecorder.connect(broker.url, 'stations/+/config');
  fleet = runNode(CLI, ['simulate', '--stations', String(STATIONS), '--broker', broker.url, '--seed', String(SEED), '--config-keys', keys.publicKeysFile, '--state-dir', join(dir.path, 'state'), '--gate-seconds', '3', '--gate-fail', String(GATE_FAIL), '--rate', '2000', '--tick', '5']);
  // Every station reports what it runs when it connects.
  await waitFor(() => new Set(recorder.messages.map((m) => m.topic)).size >= STATIONS, 60_000, `${STATIONS} stations reporting`);
}, 90_000);

afterAll(async () => {
  await fleet?.stop();
  await recorder?.close();
  await broker?.close();
  dir?.remove();
});

describe('a configuration push to a simulated fleet', () => {
  it('reports every station\'s outcome: applied, or rolled back by the gate where planned', async () => {
    const ids = planFleet({ stations: STATIONS, faultyPercent: 0, seed: SEED }).map((p) => p.id);
    const failing = planFleet({ stations: STATIONS, faultyPercent: 0, seed: SEED })
      .filter((p) => mulberry32(p.seed ^ 0x9e3779b9)() * 100 < GATE_FAIL)
      .map((p) => p.id);
    expect(failing.length).toBeGreaterThan(0);
    writeFileSync(join(dir.path, 'stations.txt'), `${ids.join('\n')}\n`);
    writeFileSync(
      join(dir.path, 'fleet.yaml'),
      `station: { id: "{{station}}", timezone: Asia/Shanghai }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: ${join(dir.path, 'data', '{{station}}.db')} }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 5020, unitId: 1 } }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 5020, unitId: 2 } }
`,
    );
    const started = Date.now();
    const push = runNode(CLI, ['config', 'push', '--list', 'stations.txt', '--file', 'fleet.yaml', '--revision', '1', '--key', keys.privateKeyFile, '--broker', broker.url, '--timeout', '60', '--concurrency', '500', '--progress', join(dir.path, 'push.jsonl')], { cwd: dir.path });
    const { code } = await push.exited;
    const seconds = (Date.now() - started) / 1000;
    const out = push.output();
    // Not every station applied it: exit 1, with each station's outcome said.
    expect(code, out.slice(-2000)).toBe(1);
    expect(out).toContain(`${STATIONS}/${STATIONS} done: ${STATIONS - failing.length} applied, 0 rejected, ${failing.length} rolled back, 0 no report`);
    for (const id of failing.slice(0, 5)) expect(out).toMatch(new RegExp(`${id}  rolled back \\(CONFIG_GATE_FAILED\\)`));
    process.stdout.write(`config push to ${STATIONS} simulated stations: ${seconds.toFixed(1)} s\n`);

    const status = runNode(CLI, ['config', 'status', '--list', 'stations.txt', '--broker', broker.url, '--wait', String(Math.max(3, Math.ceil(STATIONS / 200)))], { cwd: dir.path });
    await status.exited;
    const rows = status.output().split('\n').filter((l) => l.startsWith('fleet-'));
    expect(rows).toHaveLength(STATIONS);
    const applied = rows.filter((l) => /^\S+\s+1\s+1\s+applied/.test(l));
    expect(rows.filter((l) => !applied.includes(l) && !l.includes('rolled-back')).slice(0, 3), 'stations neither applied nor rolled back').toEqual([]);
    expect(applied).toHaveLength(STATIONS - failing.length);
    expect(rows.filter((l) => /^\S+\s+on-site\s+1\s+rolled-back\s+CONFIG_GATE_FAILED/.test(l)).map((l) => l.split(' ')[0])).toEqual(failing);
  }, 180_000);
});
