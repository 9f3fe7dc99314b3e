import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { generatePhoneKey, issuePass, rollingCode, stepAt, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { doorReleases, startDoorStation, type DoorStation } from '../helpers/door-station.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder, type Recorded } from '../helpers/mqtt-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * cmd/service end to end as separate processes over real sockets: the embedded broker on TCP,
 * station-sim (a door lock on a pty) and `station-gateway run`, an operator's rolling code made
 * as the console makes one (simulators/cloud/pass-issuer.ts), commands on MQTT 3.1.1 with replyTo,
 * what the station says read from S/availability, the gateway killed and started again, and the
 * log read back with cmd/logs and the operator's diagnose code.
 */

const STATION = 'e2e-svc-0001';
const S = `stations/${STATION}`;
const REPLIES = `${S}/replies/e2e-console`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: DoorStation;
let recorder: MqttRecorder;
let client: MqttClient;
let fleet: IssuerKey;
let operator: { phone: PhoneKey; pass: Uint8Array };
let worker: { phone: PhoneKey; pass: Uint8Array };

beforeAll(async () => {
  dir = tempDir('e2e-svc-');
  fleet = await generateIssuerKey('fleet-svc-1');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [fleet]);
  broker = await startEmbeddedBroker({ port: await freePort() });
  const phone = (): PhoneKey => generatePhoneKey();
  const op = phone();
  operator = { phone: op, pass: issuePass(fleet, { sub: 'ops-e2e', role: 'operator', phoneKey: op.publicKey, stations: [STATION], grants: [{ act: 'operate' }, { act: 'unlock' }, { act: 'diagnose', res: STATION }] }) };
  const wk = phone();
  worker = { phone: wk, pass: issuePass(fleet, { sub: 'w-e2e-svc', phoneKey: wk.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }] }) };
  recorder = await MqttRecorder.connect(broker.url, `${S}/#`);
  client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true, clientId: 'e2e-console' });
  station = await startDoorStation({ dir: dir.path, station: STATION, cloudUrl: broker.url, unlockMs: 1500 });
}, 60_000);

afterAll(async () => {
  await station?.stop();
  await client?.endAsync(true);
  await recorder?.close();
  await broker?.close();
  dir?.remove();
});

let sent = 0;
/** One command as the console sends it, and its reply. */
async function command(name: string, body: Record<string, unknown>): Promise<{ ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } }> {
  const correlationId = `c-${++sent}`;
  await client.publishAsync(`${S}/cmd/${name}`, JSON.stringify({ ...body, replyTo: REPLIES, correlationId }), { qos: 1 });
  const reply = await recorder.waitFor(REPLIES, (m) => m.body['correlationId'] === correlationId, 10_000);
  assertContract('reply', reply.body);
  return reply.body as never;
}

/** The next S/availability after message index `from` that satisfies `match`. */
async function availability(from: number, match: (a: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const m: Recorded = await recorder.waitFor(`${S}/availability`, (r) => match(r.body), 20_000, from);
  assertContract('availability', m.body);
  return m.body;
}

const doors = (a: Record<string, unknown>): unknown => (a['services'] as Record<string, unknown>)['doors'];
const outList = (a: Record<string, unknown>): Array<Record<string, unknown>> => (a['outOfService'] as Array<Record<string, unknown>> | undefined) ?? [];
const operatorCode = (res = 'main-door'): string => rollingCode(operator.pass, operator.phone, { act: 'operate', res, station: STATION });
const workerCode = (): string => rollingCode(worker.pass, worker.phone, { act: 'unlock', res: 'main-door', station: STATION });

describe('resource out of service by command', () => {
  it('takes the entrance out (workers FORBIDDEN, S/availability says so), keeps it across a restart, and puts it back (the worker\'s next code opens)', async () => {
    const first = await availability(0, (a) => Array.isArray(a['outOfService']));
    expect(first).toMatchObject({ open: true, outOfService: [] });
    expect(doors(first)).toEqual({ usable: true });

    // Unknown resource: refused before the code is read as spent.
    expect(await command('service', { token: operatorCode('back-door'), resource: 'back-door', enabled: false })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_RESOURCE' } });

    let from = recorder.messages.length;
    const outStep = stepAt(new Date());
    const out = await command('service', { token: operatorCode(), resource: 'main-door', enabled: false, reason: '锁芯更换 lock replaced' });
    expect(out).toEqual({ ok: true, result: { resource: 'main-door', enabled: false, changed: true }, correlationId: expect.any(String) });
    const closed = await availability(from, (a) => outList(a).length > 0);
    expect(closed['open']).toBe(false);
    expect(doors(closed)).toEqual({ usable: false, reason: 'out-of-service' });
    expect(outList(closed)).toEqual([{ resource: 'main-door', since: expect.any(String), by: 'ops-e2e', reason: '锁芯更换 lock replaced', source: 'command' }]);

    const refused = await command('unlock', { token: workerCode() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining('out of service') } });

    // A power cut: the gateway is killed and started on the same database.
    from = recorder.messages.length;
    await station.restartGateway();
    const after = await availability(from, () => true);
    expect(outList(after)).toEqual(outList(closed));
    expect(doors(after)).toEqual({ usable: false, reason: 'out-of-service' });
    expect(await command('unlock', { token: workerCode() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // One step, one use: the operator's next spending code is for a later step than the first.
    await waitFor(() => stepAt(new Date()) > outStep, 10_000, 'the next time step');
    from = recorder.messages.length;
    expect(await command('service', { token: operatorCode(), resource: 'main-door', enabled: true })).toMatchObject({ ok: true, result: { resource: 'main-door', enabled: true, changed: true } });
    const reopened = await availability(from, (a) => Array.isArray(a['outOfService']) && outList(a).length === 0);
    expect(reopened['open']).toBe(true);
    expect(doors(reopened)).toEqual({ usable: true });

    expect(await command('unlock', { token: workerCode() })).toMatchObject({ ok: true, result: { res: 'main-door' } });
    await waitFor(async () => (await doorReleases(station.control)) === 1, 10_000, 'the door to be released');

    // Looking back as the console does: cmd/logs with the operator's diagnose code, which is not
    // spent, so the same code asks again (the doctor here; the next page of a long log alike).
    const diagnose = rollingCode(operator.pass, operator.phone, { act: 'diagnose', res: STATION, station: STATION });
    const logs = await command('logs', { token: diagnose, type: 'resource.service,access.*' });
    expect(logs).toMatchObject({ ok: true, result: { truncated: false } });
    expect(await command('doctor', { token: diagnose })).toMatchObject({ ok: true, result: { station: STATION } });
    const seen: Array<Record<string, unknown>> = (logs.result!['rows'] as Array<Record<string, unknown>>).map((r) => ({ type: r['type'], ...(r['data'] as Record<string, unknown>) }));
    expect(seen.filter((e) => e['type'] === 'resource.service')).toEqual([
      { type: 'resource.service', resource: 'main-door', enabled: false, by: 'ops-e2e', reason: '锁芯更换 lock replaced' },
      { type: 'resource.service', resource: 'main-door', enabled: true, by: 'ops-e2e' },
    ]);
    expect(seen.filter((e) => e['type'] === 'access.denied').map((e) => e['code'])).toEqual(['UNKNOWN_RESOURCE', 'FORBIDDEN', 'FORBIDDEN']);
    expect(seen.filter((e) => e['type'] === 'access.granted').map((e) => `${String(e['act'])} ${String(e['sub'])}`)).toEqual(['operate ops-e2e', 'operate ops-e2e', 'unlock w-e2e-svc']);
    // Both on record as the operator's, by pass and step.
    const db = new BetterSqlite3(station.dbFile, { readonly: true });
    try {
      const audits = (db.prepare("SELECT data FROM events WHERE type = 'diagnostics.requested' ORDER BY seq").all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Record<string, unknown>);
      expect(audits).toEqual([
        expect.objectContaining({ command: 'logs', granted: true, sub: 'ops-e2e', role: 'operator', pass: expect.any(String), step: expect.any(Number) }),
        expect.objectContaining({ command: 'doctor', granted: true, sub: 'ops-e2e' }),
      ]);
    } finally {
      db.close();
    }
  }, 90_000);
});
