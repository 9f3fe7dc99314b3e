import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { PASS_STEP_SECONDS, generatePhoneKey, issuePass, rollingCode, stepAt, type PassRequest, type PhoneKey } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { accessEvents, doorReleases, scanText, startDoorStation, type AccessEventData, type DoorStation } from '../helpers/door-station.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * A worker pass end to end, offline, as separate processes over real sockets and ptys: the
 * gateway, station-sim (a door lock and two QR scanners on ptys) and the embedded broker, which is
 * stopped once the pass is issued. Rolling codes are sent to the simulated scanner as raw bytes
 * (base45 holds spaces, which a typed `scan` line may not keep). What the station decided is read
 * from its usage log, the SQLite file on disk.
 */

const STATION = 'e2e-rc-0001';
const SUB = 'w-e2e-rc';

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker | undefined;
let station: DoorStation;
let fleet: IssuerKey;
let phone: PhoneKey;
let pass: Uint8Array;
let db: Database | undefined;

beforeAll(async () => {
  dir = tempDir();
  fleet = await generateIssuerKey('fleet-e2e-1');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [fleet]);
  broker = await startEmbeddedBroker({ port: await freePort() });
  station = await startDoorStation({ dir: dir.path, station: STATION, code: 'rc1', cloudUrl: broker.url, unlockMs: 1500, scanners: ['scanner-1', 'scanner-2'] });

  // Online: the cloud issues the phone its pass. Then the uplink goes.
  phone = generatePhoneKey();
  pass = issue();
  await broker.close();
  broker = undefined;
  db = new BetterSqlite3(station.dbFile, { readonly: true });
});

afterAll(async () => {
  db?.close();
  await station?.stop();
  await broker?.close();
  dir?.remove();
});

function issue(over: Partial<PassRequest> = {}, key: PhoneKey = phone): Uint8Array {
  return issuePass(fleet, { sub: SUB, phoneKey: key.publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }], issuedAt: new Date(Date.now() - 60_000), ttlSeconds: 86_400, ...over });
}

/** What the phone shows now (or for `step`), as the scanner reads it. */
const code = (p: Uint8Array = pass, options: { step?: number; station?: string; signer?: PhoneKey } = {}): string =>
  rollingCode(p, options.signer ?? phone, { act: 'unlock', res: 'main-door', station: options.station ?? 'rc1', ...(options.step === undefined ? {} : { step: options.step }) });

async function scan(text: string, scanner = 'scanner-1'): Promise<void> {
  expect(text.length).toBeLessThan(1000);
  expect((await scanText(station.control, scanner, text)).ok).toBe(true);
}

const releases = (): Promise<number> => doorReleases(station.control);
const events = (type: 'access.granted' | 'access.denied'): AccessEventData[] => accessEvents(db!, type);

/** Waits for the nth access.denied (1-based) and returns it. */
async function nthDenied(n: number): Promise<AccessEventData> {
  return waitFor(() => events('access.denied')[n - 1], 10_000, `access.denied #${n}`);
}

describe('a rolling code with the broker down', () => {
  it('opens the door once; a repeat, an old step, a screenshot, another station\'s pass, an expired pass and a forged phone are refused with their codes', async () => {
    // The code shown now opens the door, offline.
    const first = code();
    await scan(first);
    const granted = await waitFor(() => events('access.granted')[0], 10_000, 'access.granted');
    await waitFor(async () => (await releases()) === 1, 10_000, 'the door to be released offline');
    expect(granted).toMatchObject({ res: 'main-door', act: 'unlock', sub: SUB, via: 'scanner-1', pass: expect.any(String), step: expect.any(Number) });

    // Held to the scanner: read again at once it is the same attempt; at the other scanner it is a repeat.
    await scan(first);
    await scan(first, 'scanner-2');
    expect(await nthDenied(1)).toMatchObject({ code: 'REPLAYED', via: 'scanner-2', sub: SUB, pass: granted['pass'], step: granted['step'] });

    // A code of the step before the allowed one, never used, and a screenshot of one the phone showed 15 s ago.
    const now = stepAt(new Date());
    await scan(code(pass, { step: now - 2 }));
    expect(await nthDenied(2)).toMatchObject({ code: 'EXPIRED', sub: SUB, step: now - 2 });
    await scan(code(pass, { step: now - 15 / PASS_STEP_SECONDS }));
    expect(await nthDenied(3)).toMatchObject({ code: 'EXPIRED', sub: SUB });

    // A pass for another station; a code the phone made for another station's code.
    await scan(code(issue({ stations: ['e2e-rc-0002'] })));
    expect(await nthDenied(4)).toMatchObject({ code: 'WRONG_STATION', sub: SUB });
    await scan(code(pass, { station: 'rc2' }));
    expect(await nthDenied(5)).toMatchObject({ code: 'WRONG_STATION', sub: SUB });
    // An expired pass.
    await scan(code(issue({ issuedAt: new Date(Date.now() - 3 * 86_400_000), ttlSeconds: 86_400 })));
    expect(await nthDenied(6)).toMatchObject({ code: 'EXPIRED', sub: SUB });
    // The pass shown by another phone (a copied pass): the phone's signature does not verify.
    await scan(code(pass, { signer: generatePhoneKey() }));
    expect(await nthDenied(7)).toMatchObject({ code: 'BAD_TOKEN', sub: SUB, reason: expect.stringContaining('phone') });

    // The first code, replayed once its window has passed (a screenshot of a code that opened): refused.
    const firstStep = granted['step'] as number;
    await waitFor(() => stepAt(new Date()) >= firstStep + 2, 12_000, 'the first code\'s window to pass');
    await sleep(100);
    await scan(first);
    expect(await nthDenied(8)).toMatchObject({ code: 'EXPIRED', pass: granted['pass'], step: firstStep });

    // Through it all the door opened once, and nothing was counted as junk.
    expect(events('access.granted')).toHaveLength(1);
    expect(await releases()).toBe(1);
    expect(events('access.denied').filter((e) => e['attempts'] !== undefined)).toEqual([]);
  });
});
