import type { MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * Two instances of the cloud back end on a real Mosquitto 2 with the documented config and ACL
 * (docs/broker/), set up as docs/broker-setup.md says: a certificate each, one MQTT 5 shared
 * subscription. Both stay connected, and together they see every event exactly once. The same
 * two on one certificate (the set-up the docs described before, issue 15) take each other's
 * connection over, because the broker makes the client id the CN.
 */

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = tempDir('backend-consumers-interop-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  await broker?.stop();
  dir?.remove();
});

interface Consumer {
  client: MqttClient;
  ids: string[];
  /** Times the broker dropped this connection. */
  drops: () => number;
}

const SHARED = '$share/backend/stations/+/events';

async function consumer(cert: string, clientId: string): Promise<Consumer> {
  const client = await tlsClient(broker, pki, cert, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
  clients.push(client);
  let drops = 0;
  client.on('close', () => drops++);
  const ids: string[] = [];
  client.on('message', (_topic, payload) => ids.push((JSON.parse(payload.toString('utf8')) as { id: string }).id));
  const granted = await client.subscribeAsync(SHARED, { qos: 1 });
  expect(granted.map((g) => g.qos)).toEqual([1]);
  return { client, ids, drops: () => drops };
}

async function publishEvents(station: string, n: number): Promise<string[]> {
  const client = await tlsClient(broker, pki, station, 5);
  clients.push(client);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${station}-ev-${String(i).padStart(3, '0')}`;
    ids.push(id);
    await client.publishAsync(`stations/${station}/events`, JSON.stringify({ id, type: 'test.tick', ts: new Date().toISOString(), data: { i } }), { qos: 1 });
  }
  return ids;
}

describe('two back-end consumers as docs/broker-setup.md describes them', () => {
  it('the documented set-up names one certificate per instance and the shared subscription', () => {
    const acl = readFileSync(join(packageRoot(), 'docs', 'broker', 'acl'), 'utf8');
    expect(acl).toMatch(/^user cloud-backend$/m);
    expect(acl).toMatch(/^user cloud-backend-2$/m);
    const doc = readFileSync(join(packageRoot(), 'docs', 'broker-setup.md'), 'utf8');
    expect(doc).toContain(SHARED);
    expect(doc).toContain('--cert cloud-backend-2.crt');
  });

  it('a certificate each and one shared subscription: both stay connected, every event seen once', async () => {
    const a = await consumer('cloud-backend', 'cloud-backend');
    const b = await consumer('cloud-backend-2', 'cloud-backend-2');
    const sent = [...(await publishEvents('hz-share-0001', 20)), ...(await publishEvents('hz-share-0002', 20))];
    await waitFor(() => a.ids.length + b.ids.length >= sent.length, 15_000, 'every event at one of the consumers');
    await sleep(500); // a duplicate would arrive now
    expect([...a.ids, ...b.ids].sort()).toEqual([...sent].sort());
    // Mosquitto hands a shared group's messages round robin: both do work.
    expect(a.ids.length).toBeGreaterThan(0);
    expect(b.ids.length).toBeGreaterThan(0);
    expect([a.drops(), b.drops()]).toEqual([0, 0]);
    expect(a.client.connected && b.client.connected).toBe(true);
  });

  it('two instances on the one cloud-backend certificate kick each other off (why the docs give each its own)', async () => {
    // Different ids asked for; the broker replaces both with the CN, so they are one session.
    const a = await consumer('cloud-backend', 'backend-a');
    const b = await consumer('cloud-backend', 'backend-b');
    await sleep(3_000);
    expect(a.drops() + b.drops()).toBeGreaterThan(0);
    expect(broker.output()).toMatch(/already connected, closing old connection/);
  });
});
