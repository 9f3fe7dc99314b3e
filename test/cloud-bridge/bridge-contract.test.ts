import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandError, type CommandHandler } from '../../cloud-bridge/command-handler.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { MqttRecorder, type Recorded } from '../helpers/mqtt-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { bridgeConfig, deviceState, makeBridge, type BridgeUnderTest } from './bridge-harness.js';
import { assertContract, schemaForTopic } from './contract-validator.js';

/* The contract on the embedded broker (MQTT 3.1.1): commands with the payload fallback,
 * alarms, availability, and every message checked against the committed JSON Schemas. */

const S = 'stations/st-test-1';
let broker: EmbeddedBroker;
let dir: ReturnType<typeof tempDir>;
let recorder: MqttRecorder;
let cloud: MqttClient;
const closers: Array<() => Promise<void> | void> = [];

beforeEach(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  recorder = await MqttRecorder.connect(broker.url);
  cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'cloud-app', clean: true });
  closers.push(() => cloud.endAsync(true));
});
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
  // Everything the gateway published during the test is checked against the schemas.
  for (const m of recorder.messages) {
    const schema = schemaForTopic(m.topic, m.body);
    if (schema) assertContract(schema, m.body);
  }
  await recorder.close();
  await broker.close();
  dir.remove();
});

async function started(extra: Parameters<typeof makeBridge>[1] = {}): Promise<BridgeUnderTest> {
  const b = makeBridge(bridgeConfig(dir.path, { url: broker.url }), extra);
  b.bridge.start();
  closers.push(() => b.close());
  await waitFor(() => b.bridge.connected, 5000, 'bridge connected');
  // The command subscription is in place once the broker has delivered the retained birth.
  await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true);
  await new Promise((r) => setTimeout(r, 100));
  return b;
}

let n = 0;
async function request(name: string, payload: Record<string, unknown> | string): Promise<Recorded> {
  const correlationId = `c-${++n}`;
  const replyTo = `${S}/replies/app-1`;
  const body = typeof payload === 'string' ? payload : JSON.stringify({ replyTo, correlationId, ...payload });
  await cloud.publishAsync(`${S}/cmd/${name}`, body, { qos: 1 });
  return recorder.waitFor(replyTo, (m) => typeof payload === 'string' || m.body['correlationId'] === correlationId);
}

describe('commands on MQTT 3.1.1 (replyTo and correlationId in the payload)', () => {
  it('snapshot replies with the whole station state', async () => {
    const { bridge } = await started();
    bridge.deviceState('occ-1', deviceState({ people: 2, stillSeconds: 30 }));
    bridge.setAlarms([{ alarm: 'door.held', severity: 'major', device: 'occ-1' }]);
    const reply = await request('snapshot', {});
    expect(reply.retain).toBe(false);
    expect(reply.body).toMatchObject({ ok: true, correlationId: `c-${n}` });
    const result = reply.body['result'] as Record<string, unknown>;
    assertContract('snapshot-result', result);
    expect(result).toMatchObject({
      station: 'st-test-1',
      version: '9.9.9',
      devices: { 'occ-1': { online: true, points: { people: 2, stillSeconds: 30 } } },
      alarms: [{ alarm: 'door.held', severity: 'major', device: 'occ-1' }],
      availability: null,
      outbox: { pending: 0 },
    });
  });

  it('answers malformed requests with BAD_REQUEST and a message, and keeps serving', async () => {
    await started();
    const wrongType = await request('snapshot', { expiresAt: 17 });
    expect(wrongType.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/expiresAt/) } });
    const noToken = await request('unlock', {});
    expect(noToken.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/token/) } });
    const unknown = await request('reboot', {});
    expect(unknown.body).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/unknown command "reboot"/) } });
    // Not JSON, an array, and a replyTo with a wildcard: nobody to answer, and no crash.
    await cloud.publishAsync(`${S}/cmd/snapshot`, '{"replyTo": ', { qos: 1 });
    await cloud.publishAsync(`${S}/cmd/snapshot`, '[1,2]', { qos: 1 });
    await cloud.publishAsync(`${S}/cmd/snapshot`, JSON.stringify({ replyTo: `${S}/replies/#` }), { qos: 1 });
    await cloud.publishAsync(`${S}/cmd/snapshot`, Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    const after = await request('snapshot', {});
    expect(after.body['ok']).toBe(true);
  });

  it('a request that arrives after its expiresAt does nothing and says EXPIRED', async () => {
    const calls: string[] = [];
    const handler: CommandHandler = {
      handle: async (name) => {
        calls.push(name);
        return {};
      },
    };
    await started({ commands: handler });
    const late = await request('unlock', { token: 'tok', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(late.body).toMatchObject({ ok: false, error: { code: 'EXPIRED', message: expect.stringMatching(/nothing was done/) } });
    expect(calls).toEqual([]);
    const inTime = await request('unlock', { token: 'tok', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect(inTime.body['ok']).toBe(true);
    expect(calls).toEqual(['unlock']);
  });

  it('access commands answer FORBIDDEN until the access logic is plugged in', async () => {
    await started();
    for (const [name, payload] of [
      ['unlock', { token: 't' }],
      ['swap', { token: 't' }],
      ['dispense', { token: 't' }],
      ['slot', { token: 't', device: 'cabinet-1', slot: 2, enabled: false }],
    ] as const) {
      const reply = await request(name, payload);
      expect(reply.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining(name) } });
    }
  });

  it('routes access commands to the handler with the parsed request; its refusals and failures become codes', async () => {
    const seen: unknown[] = [];
    const handler: CommandHandler = {
      handle: async (name, req, ctx) => {
        seen.push({ name, req, ctx });
        if (name === 'swap') throw new CommandError('NO_BATTERY', 'no charged battery of that type');
        if (name === 'dispense') throw new Error('driver exploded');
        return { door: 1 };
      },
    };
    await started({ commands: handler });
    expect((await request('unlock', { token: 'abc' })).body).toMatchObject({ ok: true, result: { door: 1 } });
    expect((await request('swap', { token: 'abc' })).body).toMatchObject({ ok: false, error: { code: 'NO_BATTERY' } });
    const internal = await request('dispense', { token: 'abc' });
    expect(internal.body).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(JSON.stringify(internal.body)).not.toContain('exploded');
    expect(seen[0]).toMatchObject({ name: 'unlock', req: { token: 'abc' }, ctx: { protocolVersion: 4, deadline: undefined } });
  });
});

describe('retained alarms and availability', () => {
  it('publishes them retained when they change, not when they do not, and again after a reconnect', async () => {
    const { bridge, client } = await started();
    bridge.setAvailability({ open: true, services: { water: { ok: true } } });
    bridge.setAlarms([]);
    await recorder.waitFor(`${S}/availability`, (m) => m.body['open'] === true);
    await recorder.waitFor(`${S}/alarms`, (m) => Array.isArray(m.body['alarms']));
    bridge.setAlarms([]);
    bridge.setAlarms([{ alarm: 'tank.low', severity: 'minor', device: 'occ-1', detail: { level: 9 } }]);
    await recorder.waitFor(`${S}/alarms`, (m) => (m.body['alarms'] as unknown[]).length === 1);
    expect(recorder.on(`${S}/alarms`)).toHaveLength(2);

    const late = await MqttRecorder.connect(broker.url);
    closers.push(() => late.close());
    const retained = await late.waitFor(`${S}/alarms`);
    expect(retained.retain).toBe(true);
    expect(retained.body['alarms']).toEqual([{ alarm: 'tank.low', severity: 'minor', device: 'occ-1', detail: { level: 9 } }]);

    const from = recorder.messages.length;
    client().stream.destroy();
    await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 10_000, from);
    await recorder.waitFor(`${S}/alarms`, () => true, 10_000, from);
    await recorder.waitFor(`${S}/availability`, () => true, 10_000, from);
  });
});

describe('reconnects', () => {
  it('back off exponentially with jitter, driving MQTT.js reconnectPeriod between attempts', async () => {
    const b = makeBridge(bridgeConfig(dir.path, { url: 'mqtt://127.0.0.1:1' }), { backoff: { initialMs: 20, maxMs: 160, minMs: 1 }, random: () => 0.5 });
    b.bridge.start();
    closers.push(() => b.close());
    const periods: number[] = [];
    b.client().on('reconnect', () => setImmediate(() => periods.push(b.client().options.reconnectPeriod ?? -1)));
    await waitFor(() => periods.length >= 6, 10_000, '6 attempts');
    expect(periods.slice(0, 6)).toEqual([20, 40, 80, 80, 80, 80]);
  });
});
