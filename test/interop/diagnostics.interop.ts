import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStation, type LoadedStation } from '../../config/load-station-config.js';
import { LOGS_PAGE_BYTES } from '../../gateway/ops/diagnostics/log-pages.js';
import { composeStation, type ComposedStation } from '../../gateway/runtime/compose-station.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { assertContract, assertEventData } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait-for.js';
import { Recorder, tlsClient, type Seen } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * cmd/logs and cmd/doctor over a real Mosquitto 2 with TLS, the fleet's ACL and its 64 KiB
 * max_packet_size: the station on MQTT 5 answers an operator's tool on MQTT 5 (responseTopic,
 * correlationData) and on 3.1.1 (replyTo, correlationId), pages a large log through the broker's
 * packet limit, refuses a worker's token, and every request reaches the cloud as an event.
 */

const STATION = 'hz-diag-1';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
let sim: StationSimulator;
let loaded: LoadedStation;
let composed: ComposedStation;
let issuer: IssuerKey;
let ops5: MqttClient;
let ops4: MqttClient;
let seen5: Recorder;
let seen4: Recorder;
let issuerFile: string;

beforeAll(async () => {
  dir = tempDir('diagnostics-interop-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
  const generated = await generateIssuerKey('diag-interop');
  issuer = generated;
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [issuer]);
  // The same key as an operator's tool holds it, for station-fleet.
  issuerFile = join(dir.path, 'issuer.private.jwk.json');
  writeFileSync(issuerFile, JSON.stringify(generated.privateJwk), { mode: 0o600 });
  const { cert, key } = pki.client(STATION);
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `station: { id: ${STATION}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: 5, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system }
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 1 }, pollMs: 300 }
`,
  );
  loaded = await loadStation(file);
  sim = await startStationSimulator(loaded, { seed: 9 });
  // The operators' tool has its own certificate (ops-console): the ACL lets it send commands and read replies and events.
  ops5 = await tlsClient(broker, pki, 'ops-console', 5, { reconnectPeriod: 0 });
  seen5 = new Recorder(ops5);
  await ops5.subscribeAsync([`${S}/replies/#`, `${S}/events`], { qos: 1 });
  composed = composeStation(loaded, { log: silentLogger(), version: 'test', env: {} });
  await composed.parts.start();
  await waitFor(() => composed.devices.monitors.every((m) => m.state().online), 15_000, 'the cabinet online');
  await waitFor(() => composed.storage.store.outbox.pendingCount() === 0, 15_000, 'the station connected and its outbox drained');
}, 90_000);

afterAll(async () => {
  await composed?.parts.stop();
  await ops5?.endAsync();
  await ops4?.endAsync();
  await sim?.stop();
  await broker?.stop();
  dir?.remove();
});

const token = (role: 'operator' | 'worker' = 'operator'): Promise<string> =>
  issueToken(issuer, { station: STATION, res: STATION, act: 'diagnose', role, sub: `${role}-1`, ttlSeconds: 300 });

/** MQTT 5: the reply topic and correlation in the request's properties, none in its payload. */
async function ask5(command: string, body: Record<string, unknown>): Promise<Seen> {
  const id = ulid();
  const from = seen5.messages.length;
  await ops5.publishAsync(`${S}/cmd/${command}`, JSON.stringify(body), { qos: 1, properties: { responseTopic: `${S}/replies/ops-5`, correlationData: Buffer.from(id) } });
  return seen5.waitFor(`${S}/replies/ops-5`, (m) => m.correlationData === id, 15_000, from);
}

describe('diagnostics on Mosquitto', () => {
  it('answers cmd/doctor on MQTT 5 with the correlation data it came with, and refuses a worker', async () => {
    const reply = await ask5('doctor', { token: await token() });
    assertContract('reply', reply.body);
    expect(reply.body['ok'], JSON.stringify(reply.body)).toBe(true);
    assertContract('doctor-result', reply.body['result']);
    const result = reply.body['result'] as Record<string, any>;
    expect(result['devices'][0]).toMatchObject({ id: 'cabinet-1', online: true });
    // The station connects with a client certificate: its days to expiry are in the answer.
    expect(result['certificate']).toMatchObject({ commonName: STATION, daysToExpiry: expect.any(Number) });
    expect(result['certificate'].daysToExpiry).toBeGreaterThan(0);

    const refused = await ask5('doctor', { token: await token('worker') });
    expect(refused.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('answers cmd/logs on MQTT 3.1.1 with replyTo and correlationId in the payload', async () => {
    ops4 = await tlsClient(broker, pki, 'cloud-backend', 4, { reconnectPeriod: 0 });
    seen4 = new Recorder(ops4);
    await ops4.subscribeAsync(`${S}/replies/#`, { qos: 1 });
    const correlationId = ulid();
    await ops4.publishAsync(`${S}/cmd/logs`, JSON.stringify({ token: await token(), type: 'gateway.*', replyTo: `${S}/replies/ops-4`, correlationId }), { qos: 1 });
    const reply = await seen4.waitFor(`${S}/replies/ops-4`, (m) => m.body['correlationId'] === correlationId);
    assertContract('reply', reply.body);
    expect(reply.body['ok'], JSON.stringify(reply.body)).toBe(true);
    assertContract('logs-result', reply.body['result']);
    const rows = (reply.body['result'] as { rows: Array<{ type: string }> }).rows;
    expect(rows.map((r) => r.type)).toEqual(['gateway.started']);
  });

  it('pages a large log through the broker\'s 64 KiB packet limit on MQTT 5, each page on record as an event', async () => {
    const since = new Date(Date.now() + 60_000);
    composed.storage.store.outbox.appendMany(
      Array.from({ length: 600 }, (_, i) => ({ type: 'access.denied', device: 'cabinet-1', ts: new Date(since.getTime() + i), data: { code: 'BAD_TOKEN', reason: `bench ${i} ${'z'.repeat(500)}`, via: 'scanner-1' } })),
    );
    const auditsBefore = seen5.on(`${S}/events`).length;
    const t = await token();
    let cursor: string | undefined;
    let rows = 0;
    let pages = 0;
    do {
      const reply = await ask5('logs', { token: t, since: since.toISOString(), ...(cursor ? { cursor } : {}) });
      expect(reply.body['ok'], JSON.stringify(reply.body)).toBe(true);
      const result = reply.body['result'] as { rows: unknown[]; next?: string };
      assertContract('logs-result', result);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(LOGS_PAGE_BYTES);
      rows += result.rows.length;
      cursor = result.next;
      pages++;
    } while (cursor && pages < 50);
    expect(rows).toBe(600);
    expect(pages).toBeGreaterThan(3);
    const audits = await waitFor(() => {
      const a = seen5.on(`${S}/events`).slice(auditsBefore).filter((m) => m.body['type'] === 'diagnostics.requested');
      return a.length >= pages && a;
    }, 15_000, 'every page audited on S/events');
    for (const a of audits) assertEventData('diagnostics.requested', a.body['data']);
    expect(audits.map((a) => (a.body['data'] as { rows: number }).rows).reduce((n, k) => n + k, 0)).toBe(600);

    // A reply topic and correlation data of 20 KB each leave a page less room: the reply still
    // fits the broker's 64 KiB, which would otherwise refuse it and drop the station's connection.
    const id = `${ulid()}${'c'.repeat(20_000)}`;
    const topic = `${S}/replies/${'r'.repeat(20_000)}`;
    const from = seen5.messages.length;
    await ops5.publishAsync(`${S}/cmd/logs`, JSON.stringify({ token: t, since: since.toISOString() }), { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from(id) } });
    const long = await seen5.waitFor(topic, (m) => m.correlationData === id, 15_000, from);
    expect(long.body['ok'], JSON.stringify(long.body).slice(0, 300)).toBe(true);
    const page = long.body['result'] as { rows: unknown[]; next?: string };
    expect(page.rows.length).toBeGreaterThan(0);
    expect(page.next).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(64 * 1024 - 40_000);
  });

  it('station-fleet doctor and logs, the operators\' tool, on MQTT 5 with the operator\'s own certificate', async () => {
    const ops = pki.client('ops-console');
    const tls = ['--broker', broker.url, '--mqtt', '5', '--ca', pki.ca, '--cert', ops.cert, '--cert-key', ops.key, '--station', STATION, '--key', issuerFile, '--sub', 'ops-interop'];
    const doctor = runNode(distEntry('fleet', 'cli', 'station-fleet.js'), ['doctor', ...tls]);
    await doctor.exited;
    expect(doctor.output()).toMatch(new RegExp(`^${STATION} at `));
    expect(doctor.output()).toMatch(/check\s+result\s+detail/);
    const logs = runNode(distEntry('fleet', 'cli', 'station-fleet.js'), ['logs', ...tls, '--type', 'diagnostics.*']);
    const { code } = await logs.exited;
    expect(code, logs.output()).toBe(0);
    const rows = logs.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
    expect(rows.some((r) => r.data['sub'] === 'ops-interop' && r.data['command'] === 'doctor')).toBe(true);
  }, 60_000);
});
