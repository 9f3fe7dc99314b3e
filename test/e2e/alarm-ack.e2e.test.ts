import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { generatePhoneKey, issuePass, rollingCode, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract, assertEventData } from '../cloud-bridge/contract-validator.js';
import { doorReleases, simCommand, startDoorStation, type DoorStation } from '../helpers/door-station.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder, type Recorded } from '../helpers/mqtt-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * An operator acknowledges a real alarm end to end: the gateway and station-sim as their own
 * processes, the embedded broker over TCP. The door is pushed open with no unlock (door.forced,
 * raised by the gateway from what the simulated lock reports); the operator's rolling code, made
 * from an operator pass as the console makes it, goes in `cmd/ack` over MQTT 3.1.1 with replyTo
 * and correlationId. The retained `S/alarms` then names the operator, and still does once the
 * gateway was killed and started again on the same database.
 */

const STATION = 'e2e-ack-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: DoorStation;
let fleet: IssuerKey;
let phone: PhoneKey;
let recorder: MqttRecorder;
let operatorClient: MqttClient;

beforeAll(async () => {
  dir = tempDir();
  fleet = await generateIssuerKey('fleet-e2e-ack');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [fleet]);
  broker = await startEmbeddedBroker({ port: await freePort() });
  recorder = await MqttRecorder.connect(broker.url, `${S}/#`);
  station = await startDoorStation({ dir: dir.path, station: STATION, cloudUrl: broker.url, unlockMs: 1500 });
  phone = generatePhoneKey();
  operatorClient = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0, clientId: 'console-e2e-ack' });
});

afterAll(async () => {
  await operatorClient?.endAsync(true);
  await recorder?.close();
  await station?.stop();
  await broker?.close();
  dir?.remove();
});

/** An operator pass as the fleet issues it for the console's key: unlock, operate, diagnose. */
const operatorPass = (sub: string): Uint8Array =>
  issuePass(fleet, {
    sub,
    role: 'operator',
    phoneKey: phone.publicKey,
    stations: [STATION],
    grants: [{ act: 'unlock' }, { act: 'operate' }, { act: 'diagnose', res: STATION }],
    issuedAt: new Date(Date.now() - 60_000),
    ttlSeconds: 3600,
  });

let requests = 0;
/** Sends `cmd/ack` as the console does (3.1.1: replyTo and correlationId in the payload) and resolves with the reply. */
async function ack(token: string, body: Record<string, unknown>): Promise<Recorded> {
  const correlationId = `c-${++requests}`;
  const replyTo = `${S}/replies/console-e2e-ack`;
  const from = recorder.messages.length;
  await operatorClient.publishAsync(`${S}/cmd/ack`, JSON.stringify({ token, ...body, replyTo, correlationId }), { qos: 1 });
  const reply = await recorder.waitFor(replyTo, (m) => m.body['correlationId'] === correlationId, 15_000, from);
  assertContract('reply', reply.body);
  return reply;
}

const forcedAlarm = (m: Recorded): Record<string, unknown> | undefined =>
  (m.body['alarms'] as Array<Record<string, unknown>> | undefined)?.find((a) => a['alarm'] === 'door.forced' && a['device'] === 'lock-1');

describe('cmd/ack end to end', () => {
  it('acknowledges a forced door with an operator\'s rolling code; S/alarms names the operator, also after a restart; nothing opens', async () => {
    // The door pushed open with nothing allowing it: door.forced, critical, on the retained S/alarms.
    expect((await simCommand(station.control, 'lock-1 door 1 open')).ok).toBe(true);
    const raised = await recorder.waitFor(`${S}/alarms`, (m) => forcedAlarm(m) !== undefined, 15_000);
    assertContract('alarms', raised.body);
    expect(forcedAlarm(raised)).not.toHaveProperty('acknowledged');

    // A worker's code first: refused FORBIDDEN; the alarm stays unacknowledged.
    const worker = issuePass(fleet, { sub: 'w-e2e-ack', phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }, { act: 'operate' }], issuedAt: new Date(Date.now() - 60_000) });
    const refused = await ack(rollingCode(worker, phone, { act: 'operate', res: STATION, station: STATION }), { alarm: 'door.forced', device: 'lock-1' });
    expect(refused.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    // The operator acknowledges it.
    const before = recorder.messages.length;
    const reply = await ack(rollingCode(operatorPass('op-e2e-lin'), phone, { act: 'operate', res: STATION, station: STATION }), { alarm: 'door.forced', device: 'lock-1', note: '已通知巡检' });
    expect(reply.body).toMatchObject({ ok: true, correlationId: `c-${requests}`, result: { alarm: 'door.forced', device: 'lock-1', acknowledged: { by: 'op-e2e-lin', note: '已通知巡检', at: expect.any(String) } } });
    const acknowledged = (reply.body['result'] as Record<string, unknown>)['acknowledged'];
    const listed = await recorder.waitFor(`${S}/alarms`, (m) => forcedAlarm(m)?.['acknowledged'] !== undefined, 15_000, before);
    assertContract('alarms', listed.body);
    expect(forcedAlarm(listed)).toMatchObject({ severity: 'critical', acknowledged });
    // Retained: a subscriber that comes later is handed the acknowledged list.
    const late = await MqttRecorder.connect(broker.url, `${S}/alarms`);
    try {
      const retained = await late.waitFor(`${S}/alarms`, (m) => m.retain, 10_000);
      expect(forcedAlarm(retained)).toMatchObject({ acknowledged });
    } finally {
      await late.close();
    }
    // The event went out on S/events, as the contract has it.
    const event = await recorder.waitFor(`${S}/events`, (m) => m.body['type'] === 'alarm.acknowledged', 15_000);
    assertContract('event', event.body);
    assertEventData('alarm.acknowledged', event.body['data']);
    expect(event.body).toMatchObject({ device: 'lock-1', data: { alarm: 'door.forced', device: 'lock-1', by: 'op-e2e-lin', note: '已通知巡检' } });

    // A power cut: the gateway killed and started again on the same file. Its first S/alarms after
    // the new birth still names the operator.
    const cut = recorder.messages.length;
    await station.restartGateway();
    const birth = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 20_000, cut);
    const afterBirth = recorder.messages.indexOf(birth);
    const again = await recorder.waitFor(`${S}/alarms`, (m) => forcedAlarm(m) !== undefined, 20_000, afterBirth);
    assertContract('alarms', again.body);
    expect(forcedAlarm(again)).toMatchObject({ acknowledged });

    // Another operator, after the restart, is told who took it first.
    const second = await ack(rollingCode(operatorPass('op-e2e-wang'), phone, { act: 'operate', res: STATION, station: STATION }), { alarm: 'door.forced', device: 'lock-1' });
    expect(second.body).toMatchObject({ ok: true, result: { acknowledged } });

    // An alarm that is not active (no door held open here) is NOT_ACTIVE, and nothing is recorded.
    const notActive = await ack(rollingCode(operatorPass('op-e2e-lin'), phone, { act: 'operate', res: STATION, station: STATION }), { alarm: 'door.held', device: 'lock-1' });
    expect(notActive.body).toMatchObject({ ok: false, error: { code: 'NOT_ACTIVE' } });

    // Through it all the door was never released.
    expect(await doorReleases(station.control)).toBe(0);
  }, 120_000);
});
