import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { assertContract, schemaForTopic } from '../cloud-bridge/contract-validator.js';
import { mosquittoTool, Recorder, tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * The whole gateway (`station-gateway run` from dist/, against station-sim) on a real Mosquitto 2
 * with TLS, per-station client certificates and the fleet ACL of docs/broker/, in MQTT 5 and
 * 3.1.1. The cloud side is plain MQTT.js and the mosquitto command-line clients.
 */

const STATION = 'hz-interop-1';
const S = `stations/${STATION}`;
const DEVICES = ['lock-1', 'scanner-1', 'cabinet-1', 'water-1', 'occupancy-1'];

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
let sim: RunningProcess;
let cabinetPort: number;
let busPort: number;
const processes: RunningProcess[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = tempDir('interop-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
  [cabinetPort, busPort] = [await freePort(), await freePort()];
  writeConfig(5);
  sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', join(dir.path, 'station-5.yaml')]);
  await sim.waitForOutput('ready');
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  for (const p of processes) await p.kill();
  await sim?.stop();
  await broker?.stop();
  dir?.remove();
});

function writeConfig(version: 4 | 5): string {
  const { cert, key } = pki.client(STATION);
  const file = join(dir.path, `station-${version}.yaml`);
  writeFileSync(
    file,
    `
station: { id: ${STATION} }
cloud: { url: ${broker.url}, protocolVersion: ${version}, heartbeatSeconds: 60, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: data-${version}/gateway.db }
resources:
  main-door: { device: lock-1, door: 1 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 500 }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: tty/scanner-1 }, pollMs: 500 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 500 }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 2 }, pollMs: 500 }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 3 }, pollMs: 500 }
`,
  );
  return file;
}

function startGateway(version: 4 | 5): RunningProcess {
  const p = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', writeConfig(version)]);
  processes.push(p);
  return p;
}

async function cloudRecorder(name: string, version: 4 | 5, filter: string): Promise<Recorder> {
  const client = await tlsClient(broker, pki, name, version);
  clients.push(client);
  const rec = new Recorder(client);
  await client.subscribeAsync(filter, { qos: 1 });
  return rec;
}

function checkAgainstSchemas(rec: Recorder): void {
  let checked = 0;
  for (const m of rec.messages) {
    const schema = schemaForTopic(m.topic, m.body);
    if (!schema) continue;
    assertContract(schema, m.body);
    if (schema === 'reply' && m.body['ok'] === true && (m.body['result'] as Record<string, unknown>)['bootId']) assertContract('snapshot-result', m.body['result']);
    checked++;
  }
  expect(checked).toBeGreaterThan(DEVICES.length);
}

describe.each([5, 4] as const)('station-gateway on Mosquitto 2 over TLS with a client certificate, MQTT %s', (version) => {
  let gateway: RunningProcess;
  let rec: Recorder;
  let birth: Record<string, unknown>;

  beforeAll(async () => {
    rec = await cloudRecorder('cloud-backend', version, 'stations/#');
    gateway = startGateway(version);
    birth = (await rec.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain)).body;
  });
  afterAll(async () => {
    await gateway.kill();
    const c = rec.client;
    clients.splice(clients.indexOf(c), 1);
    await c.endAsync(true);
  });

  it('publishes a retained birth and every device state, as the schemas say', async () => {
    expect((birth['devices'] as unknown[]).length).toBe(DEVICES.length);
    for (const id of DEVICES) await rec.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true);
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'gateway.started' && (m.body['data'] as Record<string, unknown>)['bootId'] === birth['bootId']);
    // An operator's mosquitto_sub that comes later gets the retained picture at once.
    const sub = await mosquittoTool('mosquitto_sub', broker, pki, 'ops-console', ['-V', version === 5 ? 'mqttv5' : 'mqttv311', '-t', `${S}/status`, '-t', `${S}/devices/cabinet-1`, '-C', '2', '-W', '10', '-v', '--retained-only']);
    expect(sub.code, sub.stderr).toBe(0);
    const lines = sub.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const [topic, ...rest] = line.split(' ');
      const body = JSON.parse(rest.join(' ')) as Record<string, unknown>;
      assertContract(schemaForTopic(topic as string, body) as string, body);
    }
    checkAgainstSchemas(rec);
  });

  it('answers a snapshot, a malformed request, an expired one and an access command', async () => {
    const replies = `${S}/replies/ops-console`;
    if (version === 5) {
      const rr = await mosquittoTool('mosquitto_rr', broker, pki, 'ops-console', ['-V', 'mqttv5', '-q', '1', '-t', `${S}/cmd/snapshot`, '-e', replies, '-m', '{}', '-W', '10']);
      expect(rr.code, rr.stderr).toBe(0);
      const reply = JSON.parse(rr.stdout) as Record<string, unknown>;
      assertContract('reply', reply);
      const result = reply['result'] as Record<string, unknown>;
      assertContract('snapshot-result', result);
      expect(result).toMatchObject({ station: STATION, bootId: birth['bootId'] });
      expect(Object.keys(result['devices'] as object).sort()).toEqual([...DEVICES].sort());

      // MQTT.js as the cloud app: correlationData comes back as it went.
      const app = rec.client;
      await app.subscribeAsync(replies, { qos: 1 });
      const ask = async (name: string, payload: string, correlation: string): Promise<Record<string, unknown>> => {
        await app.publishAsync(`${S}/cmd/${name}`, payload, { qos: 1, properties: { responseTopic: replies, correlationData: Buffer.from(correlation) } });
        return (await rec.waitFor(replies, (m) => m.correlationData === correlation)).body;
      };
      expect(await ask('snapshot', '', 'c-empty')).toMatchObject({ ok: true });
      expect(await ask('snapshot', 'not json', 'c-bad')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/not JSON/) } });
      expect(await ask('unlock', JSON.stringify({ token: 'x', expiresAt: '2020-01-01T00:00:00.000Z' }), 'c-late')).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
      expect(await ask('swap', JSON.stringify({ token: 'x' }), 'c-swap')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    } else {
      const ask = async (name: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> => {
        const correlationId = `c-${name}-${Math.random().toString(16).slice(2)}`;
        const pub = await mosquittoTool('mosquitto_pub', broker, pki, 'ops-console', ['-V', 'mqttv311', '-q', '1', '-t', `${S}/cmd/${name}`, '-m', JSON.stringify({ replyTo: replies, correlationId, ...payload })]);
        expect(pub.code, pub.stderr).toBe(0);
        return (await rec.waitFor(replies, (m) => m.body['correlationId'] === correlationId)).body;
      };
      const snap = await ask('snapshot', {});
      expect(snap).toMatchObject({ ok: true, result: { station: STATION, bootId: birth['bootId'] } });
      expect(await ask('slot', { token: 'x', device: 'cabinet-1', slot: 'three', enabled: false })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringMatching(/slot/) } });
      expect(await ask('dispense', { token: 'x', expiresAt: '2020-01-01T00:00:00.000Z' })).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
      expect(await ask('unlock', { token: 'x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    checkAgainstSchemas(rec);
  });

  it('a command that expires while the station is away is never carried out; a live one is answered after the restart', async () => {
    const app = rec.client;
    const replies = `${S}/replies/expiry`;
    await app.subscribeAsync(replies, { qos: 1 });
    gateway.child.kill('SIGKILL');
    await rec.waitFor(`${S}/status`, (m) => m.body['online'] === false && m.body['bootId'] === birth['bootId']);
    // MQTT 5: the message expiry property (the broker drops it); 3.1.1: expiresAt in the payload
    // (the gateway answers EXPIRED). Either way, nothing is carried out late.
    const send = (correlation: string, expirySeconds: number): Promise<unknown> =>
      version === 5
        ? app.publishAsync(`${S}/cmd/snapshot`, '{}', { qos: 1, properties: { responseTopic: replies, correlationData: Buffer.from(correlation), messageExpiryInterval: expirySeconds } })
        : app.publishAsync(`${S}/cmd/snapshot`, JSON.stringify({ replyTo: replies, correlationId: correlation, expiresAt: new Date(Date.now() + expirySeconds * 1000).toISOString() }), { qos: 1 });
    const correlationOf = (m: { correlationData: string | undefined; body: Record<string, unknown> }): unknown => (version === 5 ? m.correlationData : m.body['correlationId']);
    await send('expires', 1);
    await send('keeps', 300);
    await new Promise((r) => setTimeout(r, 2500));
    gateway = startGateway(version);
    // The persistent session kept the subscription and the queued commands.
    const kept = await rec.waitFor(replies, (m) => correlationOf(m) === 'keeps', 20_000);
    expect(kept.body).toMatchObject({ ok: true });
    await send('after', 300);
    await rec.waitFor(replies, (m) => correlationOf(m) === 'after');
    const late = rec.on(replies).filter((m) => correlationOf(m) === 'expires');
    if (version === 5) expect(late).toEqual([]);
    else expect(late.map((m) => m.body)).toEqual([{ ok: false, error: { code: 'EXPIRED', message: expect.stringMatching(/nothing was done/) }, correlationId: 'expires' }]);
    birth = (await rec.waitFor(`${S}/status`, (m) => m.body['online'] === true && m.body['bootId'] !== birth['bootId'])).body;
  });

  it('SIGKILL leaves the Last Will; SIGTERM says offline itself with ts', async () => {
    const from = rec.messages.length;
    gateway.child.kill('SIGKILL');
    const will = await rec.waitFor(`${S}/status`, (m) => m.body['online'] === false, 15_000, from);
    expect(will.body).toEqual({ online: false, bootId: birth['bootId'] });
    gateway = startGateway(version);
    const again = await rec.waitFor(`${S}/status`, (m) => m.body['online'] === true, 15_000, from);
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online', 15_000, from);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    const off = await rec.waitFor(`${S}/status`, (m) => m.body['online'] === false && m.body['bootId'] === again.body['bootId'], 15_000, from);
    expect(off.body['ts']).toEqual(expect.stringMatching(/Z$/));
    checkAgainstSchemas(rec);
  });
});

describe.each([5, 4] as const)('the fleet ACL confines a station to its own subtree, MQTT %s', (version) => {
  it('another station can neither write into this station’s topics nor read them', async () => {
    const ops = await cloudRecorder('ops-console', version, 'stations/#');
    const intruder = await tlsClient(broker, pki, 'hz-intruder-9', version);
    clients.push(intruder);
    const spy = new Recorder(intruder);

    // Control: the intruder may publish in its own subtree, and the operator sees it.
    await intruder.publishAsync('stations/hz-intruder-9/events', JSON.stringify({ mine: true }), { qos: 1 });
    await ops.waitFor('stations/hz-intruder-9/events');

    const forged = [`${S}/status`, `${S}/cmd/unlock`, `${S}/events`, 'stations/hz-intruder-9/cmd/unlock', 'elsewhere/x'];
    for (const topic of forged) {
      const sent = intruder.publishAsync(topic, JSON.stringify({ forged: true, token: 'x' }), { qos: 1 });
      // MQTT 5 refuses with PUBACK 0x87 (not authorised); 3.1.1 has no way to say so and drops it.
      if (version === 5) await expect(sent).rejects.toThrow(/Not authorized|135/i);
      else await sent;
    }
    // Mosquitto 2 grants the SUBSCRIBE and then delivers only what the ACL lets it read: nothing
    // here, not even this station's retained status and device states.
    await intruder.subscribeAsync([`${S}/#`, 'stations/#', '#'], { qos: 1 });
    await ops.client.publishAsync(`${S}/cmd/snapshot`, JSON.stringify({ forged: false, probe: true }), { qos: 1 });
    await ops.waitFor(`${S}/cmd/snapshot`, (m) => m.body['probe'] === true);

    // A round trip after the forgeries: had any got through, the operator would have it by now.
    await intruder.publishAsync('stations/hz-intruder-9/events', JSON.stringify({ last: true }), { qos: 1 });
    await ops.waitFor('stations/hz-intruder-9/events', (m) => m.body['last'] === true);
    expect(ops.messages.filter((m) => m.body['forged'] === true)).toEqual([]);
    expect(spy.messages).toEqual([]);
    await intruder.endAsync(true);
    await ops.client.endAsync(true);
  });
});
