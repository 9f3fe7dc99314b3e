import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { issueToken } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Issue 15, on the built gateway and the embedded broker: a retained command is executed again
 * after every restart (now never at all), and `cmd/slot` with a slot the cabinet does not have
 * spent the operator's token on a DEVICE_ERROR (now refused before it is spent).
 */

const STATION = 'guards-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: FullStation;
let sim: StationSimulator;
let gateway: RunningProcess | undefined;

beforeAll(async () => {
  dir = tempDir('command-guards-');
  broker = await startEmbeddedBroker({ port: 0 });
  station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['cabinet-1'], metrics: true });
  sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 15 });
});
afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

async function send(topic: string, body: unknown, retain = false): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `cloud-${Math.random().toString(16).slice(2)}`, clean: true });
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1, retain });
  await client.endAsync();
}

describe('station-gateway run: commands it must not carry out', () => {
  it('never carries out a retained command, on its first start or after a restart, and says so', async () => {
    const replies = await MqttRecorder.connect(broker.url, `${S}/replies/#`);
    try {
      await send(`${S}/cmd/snapshot`, { replyTo: `${S}/replies/retained`, correlationId: 'r-1' }, true);
      for (let boot = 0; boot < 2; boot++) {
        gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile]);
        await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
        await gateway.waitForOutput('retained command not carried out', 10_000);
        // A live command is answered, so the retained one had its chance and was refused.
        await send(`${S}/cmd/snapshot`, { replyTo: `${S}/replies/live`, correlationId: `l-${boot}` });
        await replies.waitFor(`${S}/replies/live`, (m) => m.body['correlationId'] === `l-${boot}`, 10_000);
        expect(replies.on(`${S}/replies/retained`)).toEqual([]);
        // Counted where operators look: the gateway's own /metrics.
        const metrics = await (await fetch(`http://127.0.0.1:${station.metricsPort}/metrics`)).text();
        expect(metrics).toMatch(/station_cloud_inbound_refused_total\{[^}]*reason="retained"[^}]*\} 1\b/);
        await gateway.stop();
        expect((await gateway.exited).code).toBe(0);
      }
    } finally {
      await send(`${S}/cmd/snapshot`, '', true).catch(() => undefined);
      await replies.close();
    }
  });

  it('refuses cmd/slot for a slot the cabinet does not have before the token is spent', async () => {
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile]);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    try {
      const token = await issueToken(station.key, { station: STATION, res: 'cabinet-1', act: 'operate', role: 'operator', sub: 'op-1' });
      // The cabinet must have been read by this gateway: until then its slots are not known. Not
      // the retained state the last test's gateway left: a live one.
      const rec = await MqttRecorder.connect(broker.url, `${S}/#`);
      await rec.waitFor(`${S}/devices/cabinet-1`, (m) => !m.retain && m.body['online'] === true, 15_000);
      await rec.close();
      const answers = await MqttRecorder.connect(broker.url, `${S}/replies/#`);
      await send(`${S}/cmd/slot`, { token, device: 'cabinet-1', slot: 99, enabled: false, replyTo: `${S}/replies/op`, correlationId: 's-99' });
      const refused = await answers.waitFor(`${S}/replies/op`, (m) => m.body['correlationId'] === 's-99', 10_000);
      expect(refused.body).toMatchObject({ ok: false, error: { code: 'UNKNOWN_RESOURCE' } });
      // The same token still works for a slot that exists.
      await send(`${S}/cmd/slot`, { token, device: 'cabinet-1', slot: 2, enabled: false, replyTo: `${S}/replies/op`, correlationId: 's-2' });
      const done = await answers.waitFor(`${S}/replies/op`, (m) => m.body['correlationId'] === 's-2', 10_000);
      expect(done.body).toMatchObject({ ok: true, result: { slot: 2, enabled: false } });
      await answers.close();
    } finally {
      await gateway.stop();
    }
  });
});
