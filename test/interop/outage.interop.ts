import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../gateway/store/open-database.js';
import { EventOutbox } from '../../gateway/store/event-outbox.js';
import { bridgeConfig, makeBridge } from '../cloud-bridge/bridge-harness.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { Recorder, tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * Outages on a real Mosquitto 2 (TLS, client certificates, the fleet ACL, persistence): the broker
 * is stopped for a while and restarted, then flaps. A cloud consumer with a persistent session
 * must get every event, in order, none lost; duplicates only as MQTT.js's own QoS 1 resends.
 */

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  dir = tempDir('outage-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
  await broker.start().catch(() => undefined);
});
afterAll(async () => {
  await broker?.stop();
  dir?.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A cloud consumer with a persistent session on `stations/<id>/events`. */
async function consumer(stationId: string, version: 4 | 5): Promise<Recorder> {
  const client = await tlsClient(broker, pki, 'cloud-backend', version, {
    clean: false,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  });
  cleanups.push(async () => {
    // Leave no session behind for the next test.
    await client.endAsync(true);
    const wipe = await tlsClient(broker, pki, 'cloud-backend', version, { clean: true });
    await wipe.endAsync();
  });
  const rec = new Recorder(client);
  await client.subscribeAsync(`stations/${stationId}/events`, { qos: 1 });
  return rec;
}

function orderOf(rec: Recorder, topic: string): number[] {
  return rec.on(topic).filter((m) => typeof (m.body['data'] as Record<string, unknown>)['n'] === 'number').map((m) => (m.body['data'] as { n: number }).n);
}

function expectAllInOrder(got: number[], total: number): void {
  // Delivery is at least once: the first time each event is seen follows the outbox order exactly.
  expect([...new Set(got)]).toEqual([...Array(total).keys()]);
}

async function outage(downMs: number): Promise<void> {
  await broker.stop();
  await sleep(downMs);
  await broker.start();
}

describe('station-gateway run: a backlog drains through a broker restart and a flapping broker', () => {
  it('every event reaches a persistent consumer, in order, none lost (MQTT 5)', async () => {
    const station = 'hz-outage-1';
    const total = 3000;
    const { cert, key } = pki.client(station);
    const config = join(dir.path, `${station}.yaml`);
    writeFileSync(
      config,
      `station: { id: ${station} }
cloud: { url: ${broker.url}, protocolVersion: 5, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: ${station}.db }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 3 }, pollMs: 1000 }
`,
    );
    // The backlog a station builds up during a long uplink outage, written as the gateway writes it.
    const { db } = openDatabase(join(dir.path, `${station}.db`));
    const outbox = new EventOutbox(db);
    for (let n = 0; n < total; n++) outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1, n } });
    db.close();

    const rec = await consumer(station, 5);
    const gateway: RunningProcess = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', config]);
    cleanups.push(() => gateway.kill());
    const topic = `stations/${station}/events`;
    await waitFor(() => orderOf(rec, topic).length >= 300, 30_000, '300 events');
    await outage(3000);
    await waitFor(() => orderOf(rec, topic).length >= 1200, 60_000, '1200 events');
    for (let i = 0; i < 3; i++) {
      await outage(700);
      await sleep(1200);
    }
    await waitFor(() => new Set(orderOf(rec, topic)).size >= total, 90_000, `all ${total} events`);
    expectAllInOrder(orderOf(rec, topic), total);
    for (const m of rec.on(topic)) assertContract('event', m.body);

    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code).toBe(0);
    const check = new BetterSqlite3(join(dir.path, `${station}.db`), { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) FROM events WHERE delivered_at IS NULL').pluck().get()).toBe(0);
    } finally {
      check.close();
    }
  });
});

describe.each([5, 4] as const)('CloudBridge in process: events appended during outages and flapping, MQTT %s', (version) => {
  it('every event reaches the consumer, in order, none lost', async () => {
    const station = `hz-flap-${version}`;
    const { cert, key } = pki.client(station);
    const rec = await consumer(station, version);
    const b = makeBridge(bridgeConfig(dir.path, { url: broker.url, protocolVersion: version, ca: pki.ca, cert, key }, station), {
      backoff: { initialMs: 200, maxMs: 1000, minMs: 50 },
      relay: { pacing: { ratePerSecond: 500, burst: 100 } },
    });
    cleanups.push(() => b.close());
    b.bridge.start();
    let n = 0;
    const appender = setInterval(() => {
      for (let k = 0; k < 5; k++) b.outbox.append({ type: 'door.closed', device: 'lock-1', data: { n: n++ } });
    }, 10);
    cleanups.push(() => clearInterval(appender));
    await waitFor(() => b.bridge.connected, 15_000, 'connected');
    await sleep(500);
    await outage(2000);
    for (let i = 0; i < 4; i++) {
      await sleep(400);
      await outage(300);
    }
    await sleep(500);
    clearInterval(appender);
    const total = n;
    const topic = `stations/${station}/events`;
    await waitFor(() => new Set(orderOf(rec, topic)).size >= total, 60_000, `all ${total} events`);
    expectAllInOrder(orderOf(rec, topic), total);
    await waitFor(() => b.outbox.pendingCount() === 0, 10_000, 'outbox drained');
  });
});
