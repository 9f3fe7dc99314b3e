import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleRss, streamHugePublish } from '../cloud-bridge/huge-publish.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Recorder, tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * Issue 15 on a real Mosquitto 2 (TLS, client certificates, the fleet ACL), its
 * `max_packet_size` taken out: the station must bound what it takes itself, whatever the broker's
 * configuration. A 200 MB publish on S/cmd/unlock, the gateway on a 256 MB heap: on MQTT 5
 * Mosquitto honours the station's CONNECT maximumPacketSize and never sends it; on 3.1.1 it does,
 * and the station drops and acknowledges it unread. And two gateways with one certificate take
 * the session from each other: both raise the alarm and back off.
 */

const PAYLOAD_BYTES = 200 * 1024 * 1024;

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dir = tempDir('inbound-limits-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  writeFileSync(broker.conf, readFileSync(broker.conf, 'utf8').replace(/^max_packet_size .*$/m, ''));
  await broker.start();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
afterAll(async () => {
  await broker?.stop();
  dir?.remove();
});

async function stationFile(station: string, version: 4 | 5, db = `${station}.db`): Promise<string> {
  const { cert, key } = pki.client(station);
  const file = join(dir.path, `${station}-${db}.yaml`);
  writeFileSync(
    file,
    `station: { id: ${station} }
cloud: { url: ${broker.url}, protocolVersion: ${version}, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: ${join(dir.path, db)} }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 3 }, pollMs: 1000 }
`,
  );
  return file;
}

function startGateway(config: string): RunningProcess {
  // runNode passes its environment on: the heap of a small box, for this child only.
  const before = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = '--max-old-space-size=256';
  try {
    const gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', config]);
    cleanups.push(() => gateway.stop());
    return gateway;
  } finally {
    if (before === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = before;
  }
}

async function snapshotAnswered(station: string, id: string): Promise<Record<string, unknown>> {
  const client = await tlsClient(broker, pki, 'ops-console', 4, { clientId: 'ops-console' });
  try {
    const rec = new Recorder(client);
    await client.subscribeAsync(`stations/${station}/replies/${id}`, { qos: 1 });
    // "ready" comes before the station's command subscription: ask again until it answers.
    for (let i = 0; ; i++) {
      await client.publishAsync(`stations/${station}/cmd/snapshot`, JSON.stringify({ replyTo: `stations/${station}/replies/${id}` }), { qos: 1 });
      const got = await rec.waitFor(`stations/${station}/replies/${id}`, () => true, 2000).catch((err: unknown) => {
        if (i >= 6) throw err;
        return undefined;
      });
      if (got) return got.body;
    }
  } finally {
    await client.endAsync(true);
  }
}

function attackerSocket(): Promise<TLSSocket> {
  const { cert, key } = pki.client('ops-console');
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(pki.ca), cert: readFileSync(cert), key: readFileSync(key), servername: 'localhost', rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
}

describe.each([5, 4] as const)('a 200 MB command through Mosquitto without max_packet_size, MQTT %s', (version) => {
  it('the gateway (256 MB heap) stays up, answers, and nothing comes back after a restart', async () => {
    const station = `hz-huge-${version}`;
    const config = await stationFile(station, version);
    let gateway = startGateway(config);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    expect((await snapshotAnswered(station, 'before'))['ok']).toBe(true);

    const rss = sampleRss(gateway.child.pid as number);
    const sent = await streamHugePublish(await attackerSocket(), 'ops-console', `stations/${station}/cmd/unlock`, PAYLOAD_BYTES);
    await new Promise((r) => setTimeout(r, 5000));
    const peakMb = rss.stop();
    console.log(`MQTT ${version}: ${JSON.stringify({ ...sent, gatewayPeakMb: peakMb })}`);
    expect(sent.cutOff).toBe(false);
    expect(gateway.child.exitCode, gateway.output().slice(-2000)).toBeNull();
    expect(peakMb).toBeLessThan(200);
    // MQTT 5: Mosquitto never sends it (our CONNECT said 64 KiB); 3.1.1: our guard drops it.
    if (version === 4) await gateway.waitForOutput('MQTT_PACKET_TOO_LARGE', 20_000);
    else expect(gateway.output()).not.toContain('MQTT_PACKET_TOO_LARGE');
    expect((await snapshotAnswered(station, 'after'))['ok']).toBe(true);

    await gateway.stop();
    expect((await gateway.exited).code).toBe(0);
    gateway = startGateway(config);
    await gateway.waitForOutput('"msg":"station-gateway ready"', 20_000);
    expect((await snapshotAnswered(station, 'restarted'))['ok']).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect(gateway.output()).not.toContain('MQTT_PACKET_TOO_LARGE');
    expect(gateway.child.exitCode).toBeNull();
  });
});

describe('two gateways with one station certificate, MQTT 5', () => {
  it('each is taken off in turn; both raise cloud.identity-conflict and back off', async () => {
    // Mosquitto 2.0 closes the older connection without a DISCONNECT (no 0x8E, seen with a plain
    // MQTT.js client too), so the pattern is what tells; brokers that send 0x8E are told at once.
    const station = 'hz-twin-5';
    const first = startGateway(await stationFile(station, 5, 'a.db'));
    await first.waitForOutput('"msg":"station-gateway ready"', 20_000);
    const second = startGateway(await stationFile(station, 5, 'b.db'));
    for (const g of [first, second]) await g.waitForOutput('"alarm":"cloud.identity-conflict"', 30_000);
    // Backing off: reconnects after the alarm are attempts 2, 3... not attempt 1 forever.
    await first.waitForOutput(/"reconnect":true,"attempts":[2-9]/, 30_000);
  });
});
