import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Recorder, tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * A planned stop on a real Mosquitto 2 (TLS, client certificates, the fleet ACL), MQTT 5 and
 * 3.1.1 (issue 14): the built gateway, SIGTERMed, exits 0, its clean offline status (with `ts`)
 * is what a fresh subscriber gets retained, and Mosquitto never publishes the Last Will because
 * the gateway ends with a DISCONNECT (MQTT 5: reason code 0, "normal disconnection").
 */

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir('clean-stop-interop-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await broker?.stop();
  dir?.remove();
});

async function statusRecorder(topic: string, version: 4 | 5): Promise<Recorder> {
  const client = await tlsClient(broker, pki, 'cloud-backend', version, { clientId: `cloud-backend-${Math.random().toString(16).slice(2)}` });
  const rec = new Recorder(client);
  await client.subscribeAsync(topic, { qos: 1 });
  return rec;
}

describe.each([5, 4] as const)('station-gateway run on Mosquitto 2, stopped with SIGTERM, MQTT %s', (version) => {
  it('exits 0 and leaves the clean offline status retained; Mosquitto publishes no Last Will', async () => {
    const station = `hz-clean-stop-${version}`;
    const status = `stations/${station}/status`;
    const { cert, key } = pki.client(station);
    const config = join(dir.path, `${station}.yaml`);
    // One device that never answers: the stop, not the devices, is under test.
    writeFileSync(
      config,
      `station: { id: ${station} }
cloud: { url: ${broker.url}, protocolVersion: ${version}, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: ${station}.db }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 3 }, pollMs: 1000 }
`,
    );
    const watcher = await statusRecorder(status, version);
    try {
      const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', config]);
      processes.push(gateway);
      const birth = await watcher.waitFor(status, (m) => m.body['online'] === true && !m.retain, 20_000);
      const bootId = birth.body['bootId'];
      await gateway.waitForOutput('"msg":"station-gateway ready"');

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      await sleep(500);

      const offline = watcher.on(status).filter((m) => m.body['online'] === false && m.body['bootId'] === bootId);
      expect(offline.map((m) => m.body)).toEqual([{ online: false, bootId, ts: expect.stringMatching(/Z$/) as unknown }]);
      const fresh = await statusRecorder(status, version);
      try {
        const retained = await fresh.waitFor(status, () => true, 5000);
        expect(retained.retain).toBe(true);
        expect(retained.body).toEqual({ online: false, bootId, ts: expect.stringMatching(/Z$/) as unknown });
      } finally {
        await fresh.client.endAsync();
      }
    } finally {
      await watcher.client.endAsync();
    }
  });
});
