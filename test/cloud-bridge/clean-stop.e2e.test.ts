import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * A planned stop must not look like a crash (issue 14): the built gateway, SIGTERMed, leaves the
 * clean offline status (with `ts`) retained on the embedded broker, and the broker never
 * publishes the Last Will, because the gateway ends with a real MQTT DISCONNECT.
 * The Mosquitto counterpart is test/interop/clean-stop.interop.ts.
 */

const STATION = 'clean-stop-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: FullStation;
let sim: StationSimulator;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir('clean-stop-');
  broker = await startEmbeddedBroker({ port: 0 });
  station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['lock-1', 'cabinet-1'] });
  sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 14 });
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('station-gateway run on the embedded broker, stopped with SIGTERM', () => {
  it('exits 0 and leaves the clean offline status retained; no Last Will is published', async () => {
    const watcher = await MqttRecorder.connect(broker.url, `${S}/status`);
    try {
      const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile]);
      processes.push(gateway);
      const birth = await watcher.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain, 15_000);
      const bootId = birth.body['bootId'];
      await gateway.waitForOutput('"msg":"station-gateway ready"');

      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toEqual({ code: 0, signal: null });
      // aedes publishes a will as soon as it sees the socket close; give it time to show.
      await sleep(500);

      const offline = watcher.on(`${S}/status`).filter((m) => m.body['online'] === false && m.body['bootId'] === bootId);
      expect(offline.map((m) => m.body)).toEqual([{ online: false, bootId, ts: expect.stringMatching(/Z$/) as unknown }]);

      const fresh = await MqttRecorder.connect(broker.url, `${S}/status`);
      try {
        const retained = await fresh.waitFor(`${S}/status`, () => true, 5000);
        expect(retained.retain).toBe(true);
        expect(retained.body).toEqual({ online: false, bootId, ts: expect.stringMatching(/Z$/) as unknown });
      } finally {
        await fresh.close();
      }
      expect(gateway.output()).toContain('"msg":"station stopped"');
    } finally {
      await watcher.close();
    }
  });
});
