import { join } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { runRevokeCommand } from '../../fleet/revoke/revoke-command.js';
import { generatePhoneKey, issuePass, rollingCode, stepAt, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { writeIssuerKeyFiles, readIssuerKey, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { accessEvents, scanText, startDoorStation, type AccessEventData, type DoorStation } from '../helpers/door-station.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode } from '../helpers/processes.js';
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
let station: DoorStation;
let fleet: IssuerKey;
let keyFile: string;
let phone: PhoneKey;
let pass: Uint8Array;
let db: Database | undefined;

beforeAll(async () => {
  dir = tempDir();
  const files = await writeIssuerKeyFiles(join(dir.path, 'keys'), 'fleet-e2e-rv');
  keyFile = files.privateKeyFile;
  fleet = await readIssuerKey(keyFile);
  brokerPort = await freePort();
  broker = await startEmbeddedBroker({ port: brokerPort });
  station = await startDoorStation({ dir: dir.path, station: STATION, code: 'rv1', cloudUrl: broker.url, trustedKeys: files.trustedKeysFile, unlockMs: 1000 });
  phone = generatePhoneKey();
  pass = issuePass(fleet, { sub: SUB, phoneKey: phone.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }], issuedAt: new Date(Date.now() - 60_000), ttlSeconds: 86_400 });
  db = new BetterSqlite3(station.dbFile, { readonly: true });
}, 60_000);

afterAll(async () => {
  db?.close();
  await station?.stop();
  await broker?.close();
  dir?.remove();
});

const code = (p: Uint8Array = pass): string => rollingCode(p, phone, { act: 'unlock', res: 'main-door', station: 'rv1' });

async function scan(text: string): Promise<void> {
  expect((await scanText(station.control, 'scanner-1', text)).ok).toBe(true);
}

const events = (type: 'access.granted' | 'access.denied'): AccessEventData[] => accessEvents(db!, type);
const nth = (type: 'access.granted' | 'access.denied', n: number): Promise<AccessEventData> => waitFor(() => events(type)[n - 1], 10_000, `${type} #${n}`);

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
    const gateway = await station.restartGateway();
    await gateway.waitForOutput('kept revocation list loaded');
    await scan(code());
    expect(await nth('access.denied', 2)).toMatchObject({ code: 'REVOKED', sub: SUB });
    expect(events('access.granted')).toHaveLength(2);

    // doctor, beside the running gateway, reports the kept list and its age.
    const doctor = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['doctor', '--config', station.configFile]);
    await doctor.exited;
    expect(doctor.output()).toMatch(/revocations\s+PASS\s+list 1 issued \S+ \(0 h ago\)/);
  }, 150_000);
});
