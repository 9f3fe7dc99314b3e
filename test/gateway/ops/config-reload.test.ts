import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stationConfigSchema, type StationConfig } from '../../../config/station-schema.js';
import { planReload } from '../../../gateway/ops/config-reload.js';
import { freePort } from '../../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

const base = {
  station: { id: 'rl-st-0001' },
  cloud: { url: 'mqtt://127.0.0.1:1', protocolVersion: 4 },
  storage: { path: 'data/gateway.db' },
  devices: [
    { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 1, unitId: 1 } },
    { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 2, unitId: 2 } },
  ],
};
const parse = (v: unknown): StationConfig => stationConfigSchema.parse(v);
const withDevice = (i: number, patch: Record<string, unknown>) => ({ ...base, devices: base.devices.map((d, j) => (j === i ? { ...d, ...patch } : d)) });

describe('planReload', () => {
  it('applies the log level, poll periods and listener addresses live', () => {
    const plan = planReload(parse(base), parse({ ...withDevice(1, { pollMs: 250 }), log: { level: 'debug' }, metrics: { listen: '127.0.0.1:9464' } }));
    expect(plan.restartKeys).toEqual([]);
    expect(plan.liveKeys.sort()).toEqual(['devices[water-1].pollMs', 'log.level', 'metrics'].sort());
    expect(plan.logLevel).toBe('debug');
    expect(plan.pollMs).toEqual([{ id: 'water-1', pollMs: 250 }]);
    expect(plan.servers).toBe(true);
  });

  it('names every key that needs a restart', () => {
    const next = parse({ ...withDevice(0, { timeoutMs: 900 }), cloud: { ...base.cloud, url: 'mqtt://10.0.0.1:1883' }, storage: { path: 'other.db' } });
    expect(planReload(parse(base), next).restartKeys.sort()).toEqual(['cloud.url', 'devices[cabinet-1].timeoutMs', 'storage.path'].sort());
    expect(planReload(parse(base), parse({ ...base, devices: [...base.devices].reverse() })).restartKeys).toEqual(['devices (added, removed or reordered)']);
  });

  it('finds nothing to do in the same file', () => {
    const plan = planReload(parse(base), parse(base));
    expect(plan).toEqual({ restartKeys: [], liveKeys: [], pollMs: [], servers: false });
  });
});

describe('SIGHUP on a running gateway', () => {
  let dir: ReturnType<typeof tempDir>;
  let gateway: RunningProcess | undefined;
  let file: string;
  const write = (extra: string, cloudPort = 1): void =>
    writeFileSync(
      file,
      `station: { id: rl-st-0001 }
cloud: { url: 'mqtt://127.0.0.1:${cloudPort}', protocolVersion: 4 }
storage: { path: data/gateway.db }
${extra}
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 1, unitId: 1 } }
`,
    );

  beforeAll(() => {
    dir = tempDir();
    file = join(dir.path, 'station.yaml');
  });
  afterAll(async () => {
    await gateway?.kill();
    dir.remove();
  });

  it('moves the metrics listener and raises the log level, refuses cloud.url by name, ignores a broken file', async () => {
    const [first, second] = [await freePort(), await freePort()];
    write(`metrics: { listen: '127.0.0.1:${first}' }`);
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', file]);
    await gateway.waitForOutput('station-gateway ready');
    expect((await fetch(`http://127.0.0.1:${first}/healthz`)).status).toBe(200);

    write(`log: { level: debug }\nmetrics: { listen: '127.0.0.1:${second}' }`);
    gateway.child.kill('SIGHUP');
    await gateway.waitForOutput('"msg":"configuration reloaded"');
    expect((await fetch(`http://127.0.0.1:${second}/healthz`)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${first}/healthz`)).rejects.toThrow();
    // Debug lines (failed polls of the absent cabinet) appear once the level is debug.
    await gateway.waitForOutput('"level":20');

    write(`log: { level: debug }\nmetrics: { listen: '127.0.0.1:${second}' }`, 2);
    gateway.child.kill('SIGHUP');
    await gateway.waitForOutput('reload refused: cloud.url needs a restart');

    writeFileSync(file, 'station: { id: NOT VALID }\n');
    gateway.child.kill('SIGHUP');
    await gateway.waitForOutput('reload refused: the station file does not validate');
    expect((await fetch(`http://127.0.0.1:${second}/healthz`)).status).toBe(200);
    await waitFor(() => gateway?.child.exitCode === null, 1000, 'the gateway still running');
  });
});
