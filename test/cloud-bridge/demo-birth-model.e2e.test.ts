import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { generateIssuerKey, writeTrustedKeys } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * Issue 14: the demo station's birth named the lock `lock-ref` while `S/devices/lock-1` named it
 * `lk-ref`. The built gateway on config/demo-station.yaml (its ports moved to free ones, its data
 * in a temp dir) against its simulators: for every device, the model in the retained birth a
 * fresh subscriber gets is the model of that device's retained state.
 */

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let configFile: string;
let gateway: RunningProcess | undefined;

beforeAll(async () => {
  dir = tempDir('demo-model-');
  broker = await startEmbeddedBroker({ port: 0 });
  const key = await generateIssuerKey('demo-model-issuer');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [key]);
  const ports = new Map<string, number>();
  let yaml = readFileSync(join(packageRoot(), 'config', 'demo-station.yaml'), 'utf8');
  for (const port of new Set(yaml.match(/port: \d+/g) ?? [])) ports.set(port, await freePort());
  yaml = yaml
    .replace(/port: \d+/g, (p) => `port: ${ports.get(p)}`)
    .replace(/^( +path: ).*gateway\.db$/m, `$1${join(dir.path, 'gateway.db')}`)
    .replace(/^( +trustedKeys: ).*$/m, `$1${join(dir.path, 'trusted.jwks.json')}`);
  configFile = join(dir.path, 'demo-station.yaml');
  writeFileSync(configFile, yaml);
  sim = await startStationSimulator(loadStationConfig(configFile), { seed: 14 });
});

afterAll(async () => {
  await gateway?.kill();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('the demo station: birth and device state agree on every model', () => {
  it('names each device by one model in S/status and S/devices/<id>', async () => {
    const station = loadStationConfig(configFile).config;
    const S = `${station.cloud.topicPrefix}/${station.station.id}`;
    const ids = station.devices.map((d) => d.id);
    const watcher = await MqttRecorder.connect(broker.url, `${S}/#`);
    try {
      gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile, '--cloud-url', broker.url]);
      // Scanners are online without an answer; every other device once the simulator answered.
      for (const id of ids) await watcher.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 20_000);
    } finally {
      await watcher.close();
    }
    const fresh = await MqttRecorder.connect(broker.url, `${S}/#`);
    try {
      await waitFor(() => [`${S}/status`, ...ids.map((id) => `${S}/devices/${id}`)].every((t) => fresh.on(t).length > 0), 5000, 'the retained picture');
      const birth = fresh.on(`${S}/status`)[0]?.body as { online: boolean; devices: Array<{ id: string; kind: string; model: string }> };
      expect(birth.online).toBe(true);
      expect(birth.devices.map((d) => d.id).sort()).toEqual([...ids].sort());
      const fromStates = Object.fromEntries(ids.map((id) => [id, fresh.on(`${S}/devices/${id}`)[0]?.body['model']]));
      const fromBirth = Object.fromEntries(birth.devices.map((d) => [d.id, d.model]));
      expect(fromBirth).toEqual(fromStates);
      expect(fromBirth['lock-1']).toBe('lk-ref');
    } finally {
      await fresh.close();
    }
  });
});
