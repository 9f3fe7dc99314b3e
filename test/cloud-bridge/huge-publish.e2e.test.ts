import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { loadStationConfig } from '../../config/load-station-config.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sampleRss, startBrokerProcess, streamHugePublish, tcpSocket, type BrokerProcess } from './huge-publish.js';

/*
 * Issue 15: one 250 MB publish on `S/cmd/unlock` exhausted a gateway with a 256 MB heap (exit
 * 134), and the broker redelivered it after every restart. Here the built gateway runs with that
 * heap (NODE_OPTIONS) and gets a 200 MB publish, generated in a stream: on the embedded broker,
 * which now refuses it, and on the embedded broker with its limit off (as aedes alone), where the
 * station's own guard drops and acknowledges it. Either way it stays up, answers a command, and
 * after a restart nothing comes back. The brokers run in processes of their own: a broker that
 * takes the packet whole holds it in its memory, not the test's.
 */

const PAYLOAD_BYTES = 200 * 1024 * 1024;
const HEAP = '--max-old-space-size=256';

let dir: ReturnType<typeof tempDir>;
let station: FullStation;
let sim: StationSimulator;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dir = tempDir('huge-publish-');
  station = await writeFullStation(dir.path, { stationId: 'huge-0001', brokerUrl: 'mqtt://127.0.0.1:1', devices: ['cabinet-1'] });
  sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 15 });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
afterAll(async () => {
  await sim?.stop();
  dir?.remove();
});

const S = 'stations/huge-0001';

function startGateway(broker: BrokerProcess): RunningProcess {
  // runNode passes its environment on; the heap of a small box, for this child only.
  const before = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = HEAP;
  try {
    const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile, '--cloud-url', broker.url]);
    cleanups.push(() => gateway.stop());
    return gateway;
  } finally {
    if (before === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = before;
  }
}

/** A snapshot command on MQTT 3.1.1, answered on `S/replies/<id>`. */
async function snapshotAnswered(broker: BrokerProcess, id: string): Promise<Record<string, unknown>> {
  const rec = await MqttRecorder.connect(broker.url, `${S}/replies/${id}`);
  try {
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `ops-${id}`, clean: true });
    try {
      // "ready" comes before the station's command subscription: ask again until it answers.
      for (let i = 0; ; i++) {
        await client.publishAsync(`${S}/cmd/snapshot`, JSON.stringify({ replyTo: `${S}/replies/${id}`, correlationId: id }), { qos: 1 });
        const got = await rec.waitFor(`${S}/replies/${id}`, () => true, 2000).catch((err: unknown) => {
          if (i >= 6) throw err;
          return undefined;
        });
        if (got) return got.body;
      }
    } finally {
      await client.endAsync();
    }
  } finally {
    await rec.close();
  }
}

async function hugePublish(broker: BrokerProcess, gateway: RunningProcess): Promise<{ cutOff: boolean; written: number; gatewayPeakMb: number; brokerPeakMb: number }> {
  const gw = sampleRss(gateway.child.pid as number);
  const br = sampleRss(broker.child.pid as number);
  const result = await streamHugePublish(await tcpSocket(broker.port), 'attacker-1', `${S}/cmd/unlock`, PAYLOAD_BYTES);
  // Whatever the broker took is delivered (or dropped) within this.
  await new Promise((r) => setTimeout(r, 3000));
  const sample = { cutOff: result.cutOff, written: result.written, gatewayPeakMb: gw.stop(), brokerPeakMb: br.stop() };
  console.log(`huge publish ${JSON.stringify(sample)}`);
  return sample;
}

describe('a 200 MB publish on S/cmd/unlock, gateway with a 256 MB heap', () => {
  it('the embedded broker disconnects the sender at the header; the gateway is untouched and answers', async () => {
    const broker = await startBrokerProcess();
    cleanups.push(() => broker.stop());
    const gateway = startGateway(broker);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    expect((await snapshotAnswered(broker, 'before'))['ok']).toBe(true);

    const sample = await hugePublish(broker, gateway);
    expect(sample.cutOff).toBe(true);
    expect(sample.written).toBeLessThan(32 * 1024 * 1024);
    expect(sample.brokerPeakMb).toBeLessThan(200);
    expect(gateway.child.exitCode).toBeNull();
    expect((await snapshotAnswered(broker, 'after'))['ok']).toBe(true);
  });

  it('behind a broker with no limit, the station drops and acknowledges it unread, and it does not come back after a restart', async () => {
    const broker = await startBrokerProcess({ maxPacketBytes: 0 });
    cleanups.push(() => broker.stop());
    let gateway = startGateway(broker);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    // The station's session holds its command subscription from now on.
    expect((await snapshotAnswered(broker, 'before'))['ok']).toBe(true);

    const sample = await hugePublish(broker, gateway);
    expect(sample.cutOff).toBe(false);
    expect(gateway.child.exitCode, gateway.output().slice(-2000)).toBeNull();
    await gateway.waitForOutput('MQTT_PACKET_TOO_LARGE', 15_000);
    expect(sample.gatewayPeakMb).toBeLessThan(200);
    expect((await snapshotAnswered(broker, 'after'))['ok']).toBe(true);

    // A restart: the broker has nothing left to redeliver (the guard acknowledged it).
    await gateway.stop();
    expect((await gateway.exited).code).toBe(0);
    gateway = startGateway(broker);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    expect((await snapshotAnswered(broker, 'restarted'))['ok']).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect(gateway.output()).not.toContain('MQTT_PACKET_TOO_LARGE');
    expect(gateway.child.exitCode).toBeNull();
  });
});
