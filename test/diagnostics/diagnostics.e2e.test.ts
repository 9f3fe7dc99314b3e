import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { MAX_PACKET_BYTES } from '../../cloud-bridge/mqtt-frame-scanner.js';
import { loadStation, type LoadedStation } from '../../config/load-station-config.js';
import { runLogCommand } from '../../gateway/cli/log-command.js';
import { LOGS_PAGE_BYTES } from '../../gateway/ops/diagnostics/log-pages.js';
import { composeStation, type ComposedStation } from '../../gateway/runtime/compose-station.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey, type TokenRequest } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { assertContract, assertEventData } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * cmd/logs and cmd/doctor on the real composition root, station simulators over TCP and the
 * embedded broker (MQTT 3.1.1: replyTo and correlationId in the payload). MQTT 5 is
 * test/interop/diagnostics.interop.ts, on Mosquitto.
 */

const STATION = 'diag-1';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let loaded: LoadedStation;
let composed: ComposedStation;
let cloud: MqttClient;
let issuer: IssuerKey;
let stranger: IssuerKey;
const replies = new Map<string, { text: string; bytes: number }>();
const events: Array<{ type: string; data: Record<string, unknown> }> = [];

beforeAll(async () => {
  dir = tempDir('diagnostics-');
  broker = await startEmbeddedBroker({ port: 0 });
  issuer = await generateIssuerKey('diag-issuer');
  stranger = await generateIssuerKey('diag-stranger');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [issuer]);
  const [line, cabinet] = [await freePort(), await freePort()];
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `station: { id: ${STATION}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system }
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinet}, unitId: 1 }, pollMs: 200 }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${line}, unitId: 3 }, pollMs: 200 }
`,
  );
  loaded = await loadStation(file);
  sim = await startStationSimulator(loaded, { seed: 5 });
  cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'diag-cloud', reconnectPeriod: 0 });
  cloud.on('message', (topic, payload) => {
    const text = payload.toString('utf8');
    if (topic.startsWith(`${S}/replies/`)) {
      const id = (JSON.parse(text) as { correlationId?: string }).correlationId;
      // What the broker carried: a PUBLISH's fixed header, topic and payload.
      if (id) replies.set(id, { text, bytes: Buffer.byteLength(topic) + 2 + payload.length + 7 });
    } else if (topic === `${S}/events`) events.push(JSON.parse(text) as (typeof events)[number]);
  });
  await cloud.subscribeAsync([`${S}/replies/#`, `${S}/events`, `${S}/status`], { qos: 1 });
  composed = composeStation(loaded, { log: silentLogger(), version: 'test', env: {} });
  await composed.parts.start();
  await waitFor(() => composed.devices.monitors.every((m) => m.state().online), 10_000, 'every device online');
  await waitFor(() => composed.storage.store.outbox.pendingCount() === 0, 10_000, 'the link up and the outbox drained');
}, 60_000);

afterAll(async () => {
  await composed?.parts.stop();
  await cloud?.endAsync();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

const operator = (extra: Partial<TokenRequest> = {}, key: IssuerKey = issuer): Promise<string> =>
  issueToken(key, { station: STATION, res: STATION, act: 'diagnose', role: 'operator', sub: 'ops-ana', ...extra });

interface Reply {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  correlationId?: string;
}

async function ask(command: string, body: Record<string, unknown>): Promise<Reply & { bytes: number }> {
  const correlationId = ulid();
  await cloud.publishAsync(`${S}/cmd/${command}`, JSON.stringify({ ...body, replyTo: `${S}/replies/ops`, correlationId }), { qos: 1 });
  const got = await waitFor(() => replies.get(correlationId), 10_000, `the ${command} reply`);
  const reply = JSON.parse(got.text) as Reply;
  assertContract('reply', reply);
  return { ...reply, bytes: got.bytes };
}

const audits = (): Array<Record<string, unknown>> => events.filter((e) => e.type === 'diagnostics.requested').map((e) => e.data);

describe('cmd/doctor', () => {
  it('answers an operator diagnose token with the checks safe on a running station, and audits it', async () => {
    const before = audits().length;
    const reply = await ask('doctor', { token: await operator() });
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    const result = reply.result as Record<string, any>;
    assertContract('doctor-result', result);
    expect(result['station']).toBe(STATION);
    expect(result['devices'].map((d: { id: string }) => d.id)).toEqual(['cabinet-1', 'occupancy-1']);
    const cabinet = result['devices'][0];
    expect(cabinet).toMatchObject({ bus: expect.stringMatching(/^127\.0\.0\.1:\d+$/), unitId: 1, online: true });
    expect(cabinet.polls).toBeGreaterThan(0);
    expect(result['clock']).toMatchObject({ trusted: true, reason: 'system' });
    expect(result['disk'].freeBytes).toBeGreaterThan(0);
    expect(result['database']).toMatchObject({ path: loaded.config.storage.path, pending: expect.any(Number) });
    expect(result['database'].bytes).toBeGreaterThan(0);
    // No cloud.cert here; this host's /sys/block has no mmcblk0.
    expect(result['certificate']).toBeNull();
    expect(result['sdCard']).toEqual({ device: 'mmcblk0', lifeTime: 'unknown', preEol: 'unknown' });
    expect(reply.bytes).toBeLessThan(MAX_PACKET_BYTES);
    const audit = await waitFor(() => audits().slice(before).find((a) => a['command'] === 'doctor'), 5000, 'the audit event');
    assertEventData('diagnostics.requested', audit);
    expect(audit).toMatchObject({ command: 'doctor', granted: true, sub: 'ops-ana', role: 'operator', via: 'cloud' });
  }, 20_000);
});

describe('refusals', () => {
  it('refuses without an operator diagnose token for this station, each on record', async () => {
    const before = audits().length;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['no token', {}, 'BAD_REQUEST'],
      ['not a token', { token: 'let-me-in' }, 'BAD_TOKEN'],
      ['a key the station does not trust', { token: await operator({}, stranger) }, 'UNKNOWN_KEY'],
      ['a worker token for diagnose', { token: await operator({ role: 'worker', sub: 'w-1' }) }, 'FORBIDDEN'],
      ['an operator token for another action', { token: await operator({ act: 'operate', res: 'cabinet-1', sub: 'ops-bo' }) }, 'FORBIDDEN'],
      ['an operator token naming a resource, not the station', { token: await operator({ res: 'cabinet-1', sub: 'ops-cy' }) }, 'FORBIDDEN'],
      ['a token for another station', { token: await issueToken(issuer, { station: 'diag-2', res: 'diag-2', act: 'diagnose', role: 'operator' }) }, 'WRONG_STATION'],
    ];
    for (const [what, body, code] of cases) {
      for (const command of ['logs', 'doctor']) {
        const reply = await ask(command, body);
        expect(reply.ok, `${command}, ${what}`).toBe(false);
        expect(reply.error?.code, `${command}, ${what}: ${reply.error?.message}`).toBe(code);
      }
    }
    // BAD_REQUEST is the router's, before any token is read. Junk (BAD_TOKEN, UNKNOWN_KEY) is
    // written once a minute per kind; every verified refusal is written.
    const refused = await waitFor(() => {
      const seen = audits().slice(before);
      return seen.length >= 12 && seen;
    }, 5000, 'the refusals on record');
    for (const a of refused) assertEventData('diagnostics.requested', a);
    expect(refused.every((a) => a['granted'] === false)).toBe(true);
    expect(refused.filter((a) => a['code'] === 'FORBIDDEN').map((a) => a['sub'])).toEqual(['w-1', 'w-1', 'ops-bo', 'ops-bo', 'ops-cy', 'ops-cy']);
    expect(refused.filter((a) => a['code'] === 'BAD_TOKEN').map((a) => a['command'])).toEqual(['logs', 'doctor']);
    expect(refused.filter((a) => a['code'] === 'UNKNOWN_KEY').map((a) => a['command'])).toEqual(['logs', 'doctor']);
    expect(refused.filter((a) => a['code'] === 'WRONG_STATION')).toHaveLength(2);
    expect(refused).toHaveLength(12);
  }, 30_000);
});

describe('cmd/logs', () => {
  it('pages a large log, every page under the size cap, every row once and in order, each page audited', async () => {
    const since = new Date(Date.now() + 60_000);
    // 1,000 refusals of ~700 bytes each (~700 KB) and one event too large for any page (yet not for S/events).
    const big = Array.from({ length: 1000 }, (_, i) => ({
      type: 'access.denied',
      device: 'cabinet-1',
      ts: new Date(since.getTime() + i),
      data: { code: 'BAD_TOKEN', reason: `bench ${i} ${'x'.repeat(600)}`, via: 'scanner-1' },
    }));
    big.splice(700, 0, { type: 'access.denied', device: 'cabinet-1', ts: new Date(since.getTime() + 699), data: { code: 'BAD_TOKEN', reason: 'y'.repeat(50_000), via: 'scanner-1' } });
    composed.storage.store.outbox.appendMany(big);
    const token = await operator({ ttlSeconds: 300 });
    const before = audits().length;
    const rows: Array<Record<string, any>> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const reply = await ask('logs', { token, since: since.toISOString(), type: 'access.*', device: 'cabinet-1', ...(cursor ? { cursor } : {}) });
      expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
      const result = reply.result as { rows: Array<Record<string, unknown>>; next?: string; truncated: boolean };
      assertContract('logs-result', result);
      expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(LOGS_PAGE_BYTES);
      expect(reply.bytes).toBeLessThan(MAX_PACKET_BYTES);
      expect(result.truncated).toBe(result.next !== undefined);
      rows.push(...result.rows);
      cursor = result.next;
      pages++;
    } while (cursor && pages < 100);
    expect(pages).toBeGreaterThan(10);
    expect(rows).toHaveLength(1001);
    expect(new Set(rows.map((r) => r['id'])).size).toBe(1001);
    expect(rows.map((r) => r['id'])).toEqual([...rows.map((r) => r['id'] as string)].sort());
    expect(rows.filter((r) => typeof r['data']['omitted'] === 'string')).toHaveLength(1);
    expect(rows[0]!['data']['reason']).toMatch(/^bench 0 /);
    const audited = await waitFor(() => {
      const seen = audits().slice(before).filter((a) => a['command'] === 'logs');
      return seen.length >= pages && seen;
    }, 10_000, 'every page on record');
    for (const a of audited) assertEventData('diagnostics.requested', a);
    expect(audited.reduce((n, a) => n + (a['rows'] as number), 0)).toBe(1001);
    expect(audited[0]).toMatchObject({ granted: true, sub: 'ops-ana', filters: { since: since.toISOString(), type: 'access.*', device: 'cabinet-1' } });
    expect(audited.filter((a) => a['omitted'] === 1)).toHaveLength(1);
    // The audit is in the usage log as `station-gateway log` reads it on site.
    const lines: string[] = [];
    runLogCommand(loaded.config.storage.path, { type: 'diagnostics.*', csv: true }, (l) => lines.push(l));
    expect(lines.filter((l) => l.includes('"command"":""logs""')).length).toBeGreaterThanOrEqual(pages);
  }, 60_000);

  it('holds `limit` over pages, reads sessions, and refuses a cursor or time it did not make', async () => {
    const token = await operator();
    const first = await ask('logs', { token, type: 'access.denied', limit: 5 });
    expect(first.result).toMatchObject({ truncated: true });
    expect((first.result as { rows: unknown[] }).rows).toHaveLength(5);
    expect(first.result?.['next']).toBeUndefined();

    const sessions = await ask('logs', { token, sessions: true });
    expect(sessions.ok, JSON.stringify(sessions.error)).toBe(true);
    assertContract('logs-result', sessions.result);
    // A session of an event just written: the reply derives it first, not 10 s later.
    composed.storage.store.outbox.append({ type: 'water.dispensed', device: 'water-9', data: { litres: 0.37 } });
    const water = await ask('logs', { token, sessions: true, type: 'water', device: 'water-9' });
    expect((water.result as { rows: Array<{ data: Record<string, unknown> }> }).rows.map((r) => r.data['litres'])).toEqual([0.37]);

    const bad = [
      [{ cursor: 'not-a-cursor' }, 'BAD_REQUEST'],
      [{ since: '2026-13-45T99:99:99.000Z' }, 'BAD_REQUEST'],
      [{ since: '2026-01-02T00:00:00.000Z', until: '2026-01-01T00:00:00.000Z' }, 'BAD_REQUEST'],
      [{ sessions: true, type: 'teleport' }, 'BAD_REQUEST'],
    ] as const;
    for (const [extra, code] of bad) {
      const reply = await ask('logs', { token, ...extra });
      expect(reply.error?.code, JSON.stringify(extra)).toBe(code);
    }
  }, 30_000);
});
