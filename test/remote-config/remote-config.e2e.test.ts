import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { readConfigKey, writeConfigKey, type ConfigSigningKey } from '../../fleet/config/config-keys.js';
import { signConfigDocument } from '../../fleet/config/sign-config-document.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder, type Recorded } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * Remote configuration end to end on a real gateway process, station-sim and the embedded broker:
 * the fleet pushes signed revisions retained on S/desired/config and reads S/config; a worker's
 * unlock is asked for while each revision is applied.
 */

const STATION = 'rc-e2e-1';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: RunningProcess;
let gateway: RunningProcess | undefined;
let recorder: MqttRecorder;
let cloud: MqttClient;
let signing: ConfigSigningKey;
let issuer: IssuerKey;
let onSite: string;
let body: (extra: string) => string;
let ports: { cabinet: number; water: number; dead: number };
let control: string;

function start(): RunningProcess {
  gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', onSite]);
  return gateway;
}

beforeAll(async () => {
  dir = tempDir('remote-config-e2e-');
  broker = await startEmbeddedBroker({ port: 0 });
  signing = await readConfigKey((await writeConfigKey(join(dir.path, 'fleet'), 'fleet-config-1')).privateKeyFile);
  issuer = await generateIssuerKey('rc-issuer');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [issuer]);
  ports = { cabinet: await freePort(), water: await freePort(), dead: await freePort() };
  const d = dir.path;
  // Every path absolute: a pushed file may name nothing relative to a revision folder it does not ship.
  body = (extra) => `station: { id: ${STATION}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: ${d}/data/gateway.db }
access: { trustedKeys: ${d}/trusted.jwks.json, clockTrust: system }
resources:
  main-door: { device: lock-1, door: 1, unlockMs: 1000 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: ${d}/tty/lock-1 }, pollMs: 300 }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: ${d}/tty/scanner-1 }, pollMs: 1000 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${ports.cabinet}, unitId: 1 }, pollMs: 300 }
${extra}`;
  const water = `  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${ports.water}, unitId: 2 }, pollMs: 300 }\n`;
  // The bench has every device a revision may add; the gateway starts on fewer.
  const bench = join(d, 'bench.yaml');
  writeFileSync(bench, body(water));
  const controlPort = await freePort();
  control = `http://127.0.0.1:${controlPort}`;
  sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', bench, '--control-port', String(controlPort)]);
  await sim.waitForOutput('control:');
  onSite = join(d, 'station.yaml');
  writeFileSync(onSite, `${body('')}remoteConfig: { keys: ${join(d, 'fleet', 'config-keys.jwks.json')}, stateDir: ${d}/state, gateSeconds: 8 }\n`);
  recorder = await MqttRecorder.connect(broker.url, '#');
  cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'rc-cloud', reconnectPeriod: 0 });
  await cloud.subscribeAsync('cloud/replies/#', { qos: 1 });
  start();
  await gateway?.waitForOutput('station-gateway ready', 20_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${gateway?.output().slice(-3000)}`);
  });
}, 60_000);

afterAll(async () => {
  // Every report the station published, as the committed JSON Schema allows it.
  for (const m of recorder?.messages ?? []) if (m.topic === `${S}/config`) assertContract('config-report', m.body);
  await gateway?.kill();
  await cloud?.endAsync(true);
  await recorder?.close();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

const WATER = () => `  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${ports.water}, unitId: 2 }, pollMs: 300 }\n`;

async function push(revision: number, stationYaml: string, key: ConfigSigningKey = signing): Promise<number> {
  const from = recorder.messages.length;
  const document = await signConfigDocument(key, { station: STATION, revision, files: { 'station.yaml': stationYaml } });
  await cloud.publishAsync(`${S}/desired/config`, JSON.stringify({ document }), { qos: 1, retain: true });
  return from;
}

function report(from: number, match: (b: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Recorded> {
  return recorder.waitFor(`${S}/config`, (m) => match(m.body), timeoutMs, from);
}

let correlation = 0;
/** A worker at the door asks the cloud to open it; retried while the station restarts into a revision. */
async function unlockDuringApply(): Promise<{ ok: boolean; tries: number }> {
  for (let tries = 1; tries <= 20; tries++) {
    const replyTo = `cloud/replies/${++correlation}`;
    const token = await issueToken(issuer, { station: STATION, res: 'main-door', act: 'unlock', sub: `rider-${correlation}` });
    await cloud.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo, correlationId: `c-${correlation}` }), { qos: 1 });
    const reply = await recorder.waitFor(replyTo, () => true, 3_000).catch(() => undefined);
    if (reply?.body['ok'] === true) return { ok: true, tries };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, tries: 20 };
}

/**
 * A worker at the door shows a token to the station's own scanner: the offline path, decided on
 * the box. Retried as a worker would while the station restarts into a revision.
 */
async function scanDuringApply(): Promise<{ ok: boolean; tries: number }> {
  for (let tries = 1; tries <= 20; tries++) {
    const from = recorder.messages.length;
    const sub = `rider-scan-${++correlation}`;
    const token = await issueToken(issuer, { station: STATION, res: 'main-door', act: 'unlock', sub });
    await fetch(`${control}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: `scanner-1 scan ${token}` }) });
    const granted = await recorder
      .waitFor(`${S}/events`, (m) => m.body['type'] === 'access.granted' && (m.body['data'] as Record<string, unknown>)['via'] === 'scanner-1' && (m.body['data'] as Record<string, unknown>)['sub'] === sub, 3_000, from)
      .catch(() => undefined);
    if (granted) return { ok: true, tries };
  }
  return { ok: false, tries: 20 };
}

describe('configuration pushed by the fleet', () => {
  it('reports what it runs at start: the on-site file, no revision', async () => {
    expect((await report(0, () => true)).body).toMatchObject({ revision: null, running: null, state: 'applied', problems: [] });
    // Retained: an operator's tool that looks later sees it at once.
    const late = await MqttRecorder.connect(broker.url);
    try {
      expect((await late.waitFor(`${S}/config`)).retain).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('applies a revision that adds a device, reports it applied, and a worker gets in meanwhile', async () => {
    const from = await push(1, body(WATER()));
    await report(from, (b) => b['state'] === 'applying' && b['revision'] === 1);
    const unlock = await unlockDuringApply();
    expect(unlock.ok).toBe(true);
    expect((await scanDuringApply()).ok).toBe(true);
    const done = await report(from, (b) => b['state'] === 'applied' && b['revision'] === 1);
    expect(done.body).toMatchObject({ running: 1, problems: [] });
    await recorder.waitFor(`${S}/devices/water-1`, (m) => m.body['online'] === true, 10_000, from);
  }, 60_000);

  it('rejects a revision with a schema error, naming the problem as validate prints it, and keeps running the last', async () => {
    const from = await push(2, body(WATER()).replace('pollMs: 300 }\n', 'pollMs: 300, pollEvery: 5 }\n'));
    const r = await report(from, (b) => b['revision'] === 2);
    expect(r.body).toMatchObject({ state: 'rejected', code: 'CONFIG_INVALID', running: 1 });
    expect((r.body['problems'] as string[]).join('\n')).toMatch(/pollEvery/);
    expect((await unlockDuringApply()).ok).toBe(true);
  }, 30_000);

  it('rolls back a valid revision whose new device never answers, within the gate time', async () => {
    const ghost = `  - { id: ghost-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${ports.dead}, unitId: 9 }, pollMs: 300 }\n`;
    // A device the revision adds must answer, and this one never does.
    const from = await push(3, body(WATER() + ghost));
    await report(from, (b) => b['state'] === 'applying' && b['revision'] === 3);
    const applyingAt = Date.now();
    expect((await unlockDuringApply()).ok).toBe(true);
    expect((await scanDuringApply()).ok).toBe(true);
    const back = await report(from, (b) => b['state'] === 'rolled-back' && b['revision'] === 3, 30_000);
    // The gate's 8 s, and the restart back onto revision 1 before the report.
    expect(Date.now() - applyingAt).toBeLessThan(8_000 + 6_000);
    expect(back.body).toMatchObject({ code: 'CONFIG_GATE_FAILED', running: 1 });
    expect((back.body['problems'] as string[]).join('\n')).toMatch(/ghost-1/);
    await recorder.waitFor(`${S}/devices/water-1`, (m) => m.body['online'] === true, 15_000, recorder.messages.indexOf(back));
  }, 60_000);

  it('refuses a document signed by another key and one whose revision is not newer', async () => {
    const stranger = await readConfigKey((await writeConfigKey(join(dir.path, 'stranger'), 'fleet-config-1')).privateKeyFile);
    let from = await push(7, body(WATER()), stranger);
    expect((await report(from, (b) => b['revision'] === 7)).body).toMatchObject({ state: 'rejected', code: 'CONFIG_BAD_SIGNATURE', running: 1 });
    from = await push(1, body(''));
    expect((await report(from, (b) => b['revision'] === 1 && b['state'] === 'rejected')).body).toMatchObject({ code: 'CONFIG_REVISION_NOT_NEWER', running: 1 });
  }, 30_000);

  it('a station that was off during a push applies it when it comes back', async () => {
    await gateway?.stop();
    const from = await push(4, body(WATER()).replace('unlockMs: 1000', 'unlockMs: 1500'));
    start();
    const done = await report(from, (b) => b['state'] === 'applied' && b['revision'] === 4, 30_000);
    expect(done.body).toMatchObject({ running: 4 });
  }, 60_000);

  it('kill -9 while a revision is applied leaves a station that starts on the old or the new one, never a mix', async () => {
    const from = await push(5, body(''));
    await report(from, (b) => b['state'] === 'applying' && b['revision'] === 5);
    await gateway?.kill();
    const again = recorder.messages.length;
    start();
    const status = await recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 20_000, again);
    const devices = (status.body['devices'] as Array<{ id: string }>).map((d) => d.id).sort();
    // Revision 4 has water-1; revision 5 has not. Anything else would be a mix.
    expect([['cabinet-1', 'lock-1', 'scanner-1', 'water-1'], ['cabinet-1', 'lock-1', 'scanner-1']]).toContainEqual(devices);
    const settled = await report(again, (b) => b['state'] === 'applied' || b['state'] === 'rolled-back', 30_000);
    expect([4, 5]).toContain(settled.body['running']);
    expect((await unlockDuringApply()).ok).toBe(true);
    expect((await scanDuringApply()).ok).toBe(true);
  }, 90_000);
});
