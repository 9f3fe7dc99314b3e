import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { runRevokeCommand } from '../../fleet/revoke/revoke-command.js';
import { generatePhoneKey, issuePass, rollingCode, stepAt, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { writeIssuerKeyFiles, readIssuerKey, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * Revocation end to end, as separate processes over real sockets and ptys: the gateway, station-sim
 * (a door lock and a QR scanner) and embedded brokers. The station is cut off; while it is, the
 * fleet revokes a worker and publishes the list retained; the station connects, takes the list,
 * and the worker's pass is refused from then on, also after a restart with the broker gone.
 */

const STATION = 'e2e-rv-0001';
const S = `stations/${STATION}`;
const SUB = 'w-e2e-revoked';

let dir: ReturnType<typeof tempDir>;
let brokerPort: number;
let broker: EmbeddedBroker | undefined;
let sim: RunningProcess;
let gateway: RunningProcess | undefined;
let configFile: string;
let control: string;
let fleet: IssuerKey;
let keyFile: string;
let phone: PhoneKey;
let pass: Uint8Array;
let db: Database | undefined;

const startGateway = async (): Promise<RunningProcess> => {
  const g = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  await g.waitForOutput('station-gateway ready', 20_000);
  return g;
};

beforeAll(async () => {
  dir = tempDir();
  const files = await writeIssuerKeyFiles(join(dir.path, 'keys'), 'fleet-e2e-rv');
  keyFile = files.privateKeyFile;
  fleet = await readIssuerKey(keyFile);
  brokerPort = await freePort();
  broker = await startEmbeddedBroker({ port: brokerPort });
  configFile = join(dir.path, 'station.yaml');
  writeFileSync(
    configFile,
    `
station: { id: ${STATION}, code: rv1, timezone: Asia/Shanghai }
cloud: { url: ${broker.url}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: data/gateway.db }
access: { trustedKeys: ${files.trustedKeysFile}, clockTrust: system }
resources:
  main-door: { device: lock-1, door: 1, unlockMs: 1000 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 300 }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: tty/scanner-1 }, pollMs: 1000 }
`,
  );
  const controlPort = await freePort();
  sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', configFile, '--control-port', String(controlPort)]);
  await sim.waitForOutput('control:');
  control = `http://127.0.0.1:${controlPort}`;
  gateway = await startGateway();
  phone = generatePhoneKey();
  pass = issuePass(fleet, { sub: SUB, phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }], issuedAt: new Date(Date.now() - 60_000), ttlSeconds: 86_400 });
  db = new BetterSqlite3(join(dir.path, 'data', 'gateway.db'), { readonly: true });
}, 60_000);

afterAll(async () => {
  db?.close();
  await gateway?.kill();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

const code = (p: Uint8Array = pass): string => rollingCode(p, phone, { act: 'unlock', res: 'main-door', station: 'rv1' });

async function scan(text: string): Promise<void> {
  const hex = Buffer.from(`${text}\r\n`, 'latin1').toString('hex');
  const res = await fetch(`${control}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: `scanner-1 raw ${hex}` }) });
  expect(res.ok).toBe(true);
}

type Data = Record<string, unknown>;
const events = (type: 'access.granted' | 'access.denied'): Data[] =>
  (db!.prepare('SELECT data FROM events WHERE type = ? ORDER BY seq').pluck().all(type) as string[]).map((d) => JSON.parse(d) as Data);
const nth = (type: 'access.granted' | 'access.denied', n: number): Promise<Data> => waitFor(() => events(type)[n - 1], 10_000, `${type} #${n}`);

describe('a worker revoked while the station was offline', () => {
  it('is refused with REVOKED as soon as the list arrives, and still after a restart with the broker down', async () => {
    // Before: the pass opens the door, and the station says it has no list.
    const watch = await MqttRecorder.connect(broker!.url, `${S}/status`);
    const birth = await watch.waitFor(`${S}/status`, (m) => m.body['online'] === true, 10_000);
    expect(birth.body['revocations']).toBeNull();
    assertContract('status-birth', birth.body);
    await watch.close();
    await scan(code());
    const granted = await nth('access.granted', 1);
    expect(granted).toMatchObject({ sub: SUB, via: 'scanner-1' });
    const firstStep = granted['step'] as number;

    // The uplink goes. The fleet revokes the worker and publishes the list retained on a broker
    // the station cannot reach; the station's broker comes back holding it.
    await broker!.close();
    broker = undefined;
    const desk = await startEmbeddedBroker({ port: await freePort() });
    expect(await runRevokeCommand(['--key', keyFile, '--list', join(dir.path, 'revocations.json'), '--worker', SUB, '--max-pass-hours', '48', '--broker', desk.url])).toBe(0);
    await desk.close();
    broker = await startEmbeddedBroker({ port: brokerPort, sessionsFrom: desk });

    // The station connects, takes the list and says so in its status.
    const status = await MqttRecorder.connect(broker.url, `${S}/status`);
    const told = await status.waitFor(`${S}/status`, (m) => (m.body['revocations'] as { seq?: number } | null)?.seq === 1, 70_000);
    expect(told.body['revocations']).toMatchObject({ seq: 1, issuedAt: expect.any(String), receivedAt: expect.any(String) });
    assertContract('status-birth', told.body);
    await status.close();

    // A code of a later step: the same code again at the same scanner would be the same attempt.
    await waitFor(() => stepAt(new Date()) > firstStep, 10_000, 'the next time step');
    await scan(code());
    expect(await nth('access.denied', 1)).toMatchObject({ code: 'REVOKED', sub: SUB, via: 'scanner-1' });
    expect(events('access.granted')).toHaveLength(1);

    // A pass issued after the revocation reinstates the worker.
    const fresh = issuePass(fleet, { sub: SUB, phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }], issuedAt: new Date(Date.now() + 2000), ttlSeconds: 86_400 });
    await scan(code(fresh));
    expect(await nth('access.granted', 2)).toMatchObject({ sub: SUB });

    // Killed, and started again with no broker: the kept list is verified from disk and honoured.
    await broker.close();
    broker = undefined;
    await gateway!.kill();
    gateway = await startGateway();
    await gateway.waitForOutput('kept revocation list loaded');
    await scan(code());
    expect(await nth('access.denied', 2)).toMatchObject({ code: 'REVOKED', sub: SUB });
    expect(events('access.granted')).toHaveLength(2);

    // doctor, beside the running gateway, reports the kept list and its age.
    const doctor = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['doctor', '--config', configFile]);
    await doctor.exited;
    expect(doctor.output()).toMatch(/revocations\s+PASS\s+list 1 issued \S+ \(0 h ago\)/);
  }, 150_000);
});
