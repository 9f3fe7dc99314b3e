import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { stationConfigSchema, type StationConfig } from '../../../config/station-schema.js';
import { AccessService, type AccessEffects, type AccessSource } from '../../../gateway/access/access-service.js';
import { ClockTrust } from '../../../gateway/access/clock-trust.js';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import { loadTrustedKeys, type TrustedKeys } from '../../../config/trusted-keys.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import type { StationStore } from '../../../gateway/store/station-store.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey, type TokenRequest } from '../../../simulators/cloud/token-issuer.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { useTempStores } from '../store/temp-store.js';

/*
 * The access decision with real Ed25519 keys made here, a real store on disk and the real
 * clock-trust logic on an injected clock. Devices are out of scope: the effects record what they
 * were asked to do (the end-to-end tests drive real simulators).
 */

const STATION = 'acc-st-0001';
const NOW = new Date('2026-11-28T18:00:00Z'); // 02:00 in Asia/Shanghai

let current: IssuerKey;
let next: IssuerKey;
let stranger: IssuerKey;
let keys: TrustedKeys;
const stores = useTempStores();

beforeAll(async () => {
  [current, next, stranger] = await Promise.all([generateIssuerKey('k-2026-11'), generateIssuerKey('k-2026-12'), generateIssuerKey('k-2026-11')]);
  const dir = tempDir();
  const file = join(dir.path, 'trusted.jwks.json');
  writeTrustedKeys(file, [current, next]); // rotation: both trusted at once
  keys = await loadTrustedKeys(file);
  dir.remove();
});

function config(over: Partial<StationConfig['access']> = {}, station: Partial<StationConfig['station']> = {}): StationConfig {
  return stationConfigSchema.parse({
    station: { id: STATION, timezone: 'Asia/Shanghai', openHours: '00:00-24:00', ...station },
    cloud: { url: 'mqtt://127.0.0.1:1883' },
    storage: { path: 'gateway.db' },
    access: { trustedKeys: 'keys.json', maxPeopleInside: 3, ...over },
    resources: {
      'main-door': { device: 'lock-1', door: 1 },
      'first-aid': { device: 'lock-1', door: 2, roles: ['operator'] },
      'cabinet-1': { device: 'cabinet-1' },
      'water-1': { device: 'water-1' },
      'old-door': { device: 'lock-1', door: 3, outOfService: true },
    },
    devices: [
      { id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', path: '/dev/null' } },
      { id: 'cabinet-1', kind: 'battery-cabinet', profile: 'cabinet-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId: 1 } },
      { id: 'water-1', kind: 'water-dispenser', profile: 'dispenser-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId: 2 } },
    ],
  });
}

interface Harness {
  service: AccessService;
  store: StationStore;
  done: string[];
  clock: { now: Date; synchronised: boolean };
  online: Set<string>;
  people: { n: number | undefined };
  jam: { door: boolean };
  hazard: { why: string | undefined };
}

function harness(options: { cfg?: StationConfig; store?: StationStore; mode?: 'ntp' | 'system' } = {}): Harness {
  const cfg = options.cfg ?? config();
  const store = options.store ?? stores.start();
  const done: string[] = [];
  const clock = { now: NOW, synchronised: true };
  const online = new Set(['lock-1', 'cabinet-1', 'water-1']);
  const people = { n: 0 as number | undefined };
  const jam = { door: false };
  const hazard = { why: undefined as string | undefined };
  const effects: AccessEffects = {
    unlock: async (r) => {
      if (jam.door) throw Object.assign(new Error('ERR JAMMED'), { code: 'REFUSED' });
      done.push(`unlock ${r.name}`);
      return { res: r.name, door: r.door ?? 1, openMs: r.unlockMs };
    },
    swap: async (r) => (done.push(`swap ${r.name}`), { swapId: 'x', slot: 2 }),
    dispense: async (r) => (done.push(`dispense ${r.name}`), { session: 'open' }),
    operate: async (r, _c, req) => (done.push(`operate ${r.name} ${String(req['slot'])}`), { slot: req['slot'] as number }),
  };
  const trust = new ClockTrust({ mode: options.mode ?? 'ntp', floor: store.timeFloor, skewMs: 60_000, log: silentLogger(), clock: () => clock.now, synchronised: () => clock.synchronised });
  const service = new AccessService({
    config: cfg,
    verifier: new TokenVerifier({ stationId: STATION, keys, maxTokenSeconds: cfg.access!.maxTokenSeconds, skewSeconds: cfg.access!.clockSkewSeconds, untrustedClock: cfg.access!.untrustedClock }),
    clock: trust,
    replay: store.replayCache,
    outbox: store.outbox,
    effects,
    deviceKind: (d) => cfg.devices.find((x) => x.id === d)?.kind,
    deviceOnline: (d) => online.has(d),
    peopleInside: () => people.n,
    closedForSafety: () => hazard.why,
    log: silentLogger(),
  });
  return { service, store, done, clock, online, people, jam, hazard };
}

const scanner: AccessSource = { kind: 'scanner', device: 'scanner-1' };
const cloud = (command: 'unlock' | 'swap' | 'dispense' | 'operate'): AccessSource => ({ kind: 'cloud', command });
const token = (over: Partial<TokenRequest> = {}, key: IssuerKey = current): Promise<string> =>
  issueToken(key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'w-17', issuedAt: new Date(NOW.getTime() - 5000), ...over });

async function refusal(h: Harness, source: AccessSource, tok: string | Promise<string>, request?: Record<string, unknown>): Promise<string> {
  try {
    await h.service.handle(source, await tok, request);
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'GRANTED';
}

describe('token checks: every refusal has its contract code', () => {
  it('grants a good token and logs access.granted (without the token) before the effect', async () => {
    const h = harness();
    const tok = await token();
    await expect(h.service.handle(scanner, tok)).resolves.toEqual({ res: 'main-door', door: 1, openMs: 5000 });
    expect(h.done).toEqual(['unlock main-door']);
    const [granted] = h.store.outbox.pending(10);
    expect(granted).toMatchObject({ type: 'access.granted', device: 'lock-1', data: { res: 'main-door', act: 'unlock', sub: 'w-17', role: 'worker', via: 'scanner-1', clock: 'synchronised' } });
    expect(JSON.stringify(granted)).not.toContain(tok);
  });

  it('refuses crafted tokens, each with its code; verified ones each leave access.denied, junk one a minute per source', async () => {
    const h = harness();
    const forged = await token({}, stranger); // same kid as a trusted key, other private key
    const cases: Array<[string, string | Promise<string>, AccessSource?]> = [
      ['BAD_TOKEN', 'not a token at all'],
      ['BAD_TOKEN', forged],
      ['BAD_TOKEN', `${(await token()).slice(0, -4)}AAAA`], // signature bytes changed
      ['BAD_TOKEN', new SignJWT({ res: 'main-door', act: 'unlock' }).setProtectedHeader({ alg: 'HS256', kid: 'k-2026-11' }).sign(new Uint8Array(32))],
      ['UNKNOWN_KEY', token({}, { ...current, kid: 'k-2020-01' })],
      ['WRONG_STATION', token({ station: 'other-station' })],
      ['EXPIRED', token({ issuedAt: new Date(NOW.getTime() - 10 * 60_000), ttlSeconds: 120 })],
      ['NOT_YET_VALID', token({ issuedAt: new Date(NOW.getTime() + 5 * 60_000) })],
      ['BAD_TOKEN', token({ ttlSeconds: 3600 })], // longer than maxTokenSeconds
      ['UNKNOWN_RESOURCE', token({ res: 'sauna' })],
      ['FORBIDDEN', token({ res: 'cabinet-1', act: 'unlock' })], // a cabinet is not unlocked
      ['FORBIDDEN', token({ act: 'unlock' }), cloud('swap')], // the command is not what the token allows
      ['FORBIDDEN', token({ res: 'first-aid' })], // operators only
      ['FORBIDDEN', token({ res: 'cabinet-1', act: 'operate', role: 'worker' }), cloud('operate')],
      ['FORBIDDEN', token({ res: 'old-door' })], // out of service
    ];
    const codes: string[] = [];
    for (const [, tok, source] of cases) codes.push(await refusal(h, source ?? scanner, tok));
    expect(codes).toEqual(cases.map(([code]) => code));
    expect(h.done).toEqual([]);
    const denied = h.store.outbox.pending(100).filter((e) => e.type === 'access.denied');
    // The five that fail before a signature verifies are junk: the first is written, the rest counted.
    const verified = cases.slice(5).map(([code]) => code);
    expect(denied.map((e) => e.data['code'])).toEqual(['BAD_TOKEN', ...verified]);
    expect(denied[0]?.data).toMatchObject({ via: 'scanner-1', attempts: 1 });
    expect(h.service.counts().junk).toEqual([
      { via: 'scanner-1', code: 'BAD_TOKEN', count: 4 },
      { via: 'scanner-1', code: 'UNKNOWN_KEY', count: 1 },
    ]);
  });

  it('takes a token with surrounding whitespace the same way on both paths', async () => {
    const h = harness();
    expect(await refusal(h, cloud('unlock'), `${await token()}\n`)).toBe('GRANTED');
    expect(await refusal(h, scanner, ` ${await token()}\r\n`)).toBe('GRANTED');
    expect(h.done).toEqual(['unlock main-door', 'unlock main-door']);
  });

  it('accepts tokens signed by either key during a rotation, and an operator at a resource for operators', async () => {
    const h = harness();
    await h.service.handle(scanner, await token({}, next));
    await h.service.handle(scanner, await token({ res: 'first-aid', role: 'operator' }));
    await h.service.handle(cloud('operate'), await token({ res: 'cabinet-1', act: 'operate', role: 'operator' }), { slot: 4, enabled: false });
    expect(h.done).toEqual(['unlock main-door', 'unlock first-aid', 'operate cabinet-1 4']);
  });
});

describe('replay', () => {
  it('carries a jti out once; a repeat returns the first result and does nothing, also after a restart', async () => {
    const h = harness();
    const tok = await token({ res: 'cabinet-1', act: 'swap' });
    const first = await h.service.handle(cloud('swap'), tok);
    await expect(h.service.handle(cloud('swap'), tok)).resolves.toEqual(first);
    const restarted = harness({ store: stores.restart(h.store) });
    await expect(restarted.service.handle(cloud('swap'), tok)).resolves.toEqual(first);
    expect([...h.done, ...restarted.done]).toEqual(['swap cabinet-1']);
    // The same token at the scanner after the cloud carried it out: nothing more either.
    await expect(restarted.service.handle(scanner, tok)).resolves.toEqual(first);
    expect(restarted.done).toEqual([]);
  });

  it('leaves a token refused by policy usable; a granted one that the device failed is spent (REPLAYED)', async () => {
    const h = harness();
    h.online.delete('lock-1');
    const tok = await token();
    expect(await refusal(h, scanner, tok)).toBe('DEVICE_OFFLINE'); // policy: token not spent
    h.online.add('lock-1');
    expect(await refusal(h, scanner, tok)).toBe('GRANTED');
    expect(await refusal(h, scanner, tok)).toBe('GRANTED'); // the repeat returns the first result
    expect(h.done).toEqual(['unlock main-door']);

    h.jam.door = true;
    const jammed = await token();
    expect(await refusal(h, scanner, jammed)).toBe('DEVICE_ERROR');
    h.jam.door = false;
    expect(await refusal(h, scanner, jammed)).toBe('REPLAYED');
    expect(h.done).toEqual(['unlock main-door']);
  });
});

describe('policy', () => {
  it('refuses outside opening hours (station time zone) except operators, and when full', async () => {
    // 02:00 in Shanghai; the station opens 06:00-23:00.
    const h = harness({ cfg: config({}, { openHours: '06:00-23:00' }) });
    expect(await refusal(h, scanner, token())).toBe('CLOSED');
    expect(await refusal(h, scanner, token({ role: 'operator' }))).toBe('GRANTED');
    const night = harness({ cfg: config({}, { openHours: '22:00-06:00' }) });
    night.people.n = 3;
    expect(await refusal(night, scanner, token())).toBe('FULL');
    expect(await refusal(night, scanner, token({ res: 'water-1', act: 'dispense' }))).toBe('GRANTED'); // water is not entry
    night.people.n = 2;
    expect(await refusal(night, scanner, token())).toBe('GRANTED');
  });

  it('closes to workers while the station logic reports smoke, as availability does; operators still come in', async () => {
    const h = harness();
    h.hazard.why = 'smoke';
    expect(await refusal(h, scanner, token())).toBe('CLOSED');
    expect(await refusal(h, cloud('swap'), token({ res: 'cabinet-1', act: 'swap' }))).toBe('CLOSED');
    expect(await refusal(h, cloud('dispense'), token({ res: 'water-1', act: 'dispense' }))).toBe('CLOSED');
    expect(await refusal(h, scanner, token({ role: 'operator' }))).toBe('GRANTED');
    const denied = h.store.outbox.pending(20).filter((e) => e.type === 'access.denied');
    expect(denied.map((e) => e.data['code'])).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
    h.hazard.why = undefined;
    expect(await refusal(h, scanner, token())).toBe('GRANTED');
    expect(h.done).toEqual(['unlock main-door', 'unlock main-door']);
  });

  it('junk spends no budget: a flood of it leaves every verified attempt its own', async () => {
    const h = harness({ cfg: config({ scansPerMinute: 3 }) });
    const forged = await token({}, stranger);
    const codes: string[] = [];
    for (let i = 0; i < 50; i++) codes.push(await refusal(h, scanner, i % 2 === 0 ? 'garbage scanned from a poster' : forged));
    expect(new Set(codes)).toEqual(new Set(['BAD_TOKEN']));
    expect(await refusal(h, scanner, token())).toBe('GRANTED');
    for (let i = 0; i < 50; i++) await refusal(h, cloud('unlock'), `${i}.x.y`);
    expect(await refusal(h, cloud('unlock'), token())).toBe('GRANTED');
    expect(h.service.counts().limited).toEqual([]);
    // One event per source for the whole flood, with its count the next minute: never one per attempt.
    const junk = h.store.outbox.pending(200).filter((e) => e.type === 'access.denied' && e.data['code'] === 'BAD_TOKEN');
    expect(junk.map((e) => e.data['via'])).toEqual(['scanner-1', 'cloud']);
  });

  it('rate-limits verified attempts per worker and per source, and logs a flood once, not per attempt', async () => {
    const h = harness({ cfg: config({ scansPerMinute: 3 }) });
    // One worker's token replayed (a captured screenshot): it spends that worker's budget only.
    const captured = await token({ sub: 'w-1' });
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) codes.push(await refusal(h, scanner, captured));
    expect(codes).toEqual(['GRANTED', 'GRANTED', 'GRANTED', 'BUSY', 'BUSY', 'BUSY']); // repeats return the first result
    expect(await refusal(h, scanner, token({ sub: 'w-1' }))).toBe('BUSY');
    expect(await refusal(h, scanner, token({ sub: 'w-2' }))).toBe('GRANTED'); // another worker is not throttled
    expect(await refusal(h, cloud('unlock'), token({ sub: 'w-1' }))).toBe('GRANTED'); // nor the same worker elsewhere
    // Fresh tokens of many workers spend the source's budget: w-1's grant and w-2's took two of three.
    expect(await refusal(h, scanner, token({ sub: 'w-3' }))).toBe('GRANTED');
    expect(await refusal(h, scanner, token({ sub: 'w-4' }))).toBe('BUSY');
    expect(h.done).toHaveLength(4);
    const busy = h.store.outbox.pending(100).filter((e) => e.data['code'] === 'BUSY');
    expect(busy.map((e) => e.data['scope'])).toEqual(['worker', 'source']);
    expect(h.service.counts().limited).toEqual([
      { via: 'scanner-1', scope: 'worker', count: 4 },
      { via: 'scanner-1', scope: 'source', count: 1 },
    ]);
    // Every repeat of the carried-out token is on record.
    const replayed = h.store.outbox.pending(100).filter((e) => e.data['code'] === 'REPLAYED');
    expect(replayed).toHaveLength(2);
    expect(replayed[0]?.data).toMatchObject({ sub: 'w-1', via: 'scanner-1' });
  });
});

describe('clock trust', () => {
  it('refuses every token with CLOCK_UNTRUSTED when the clock is unsynchronised and the policy says refuse', async () => {
    const h = harness({ cfg: config({ untrustedClock: 'refuse' }) });
    h.clock.synchronised = false;
    expect(await refusal(h, scanner, token())).toBe('CLOCK_UNTRUSTED');
  });

  it('with no trusted time ever seen, refuses rather than guess', async () => {
    const h = harness();
    h.clock.synchronised = false;
    expect(h.store.timeFloor.get()).toBeUndefined();
    expect(await refusal(h, scanner, token())).toBe('CLOCK_UNTRUSTED');
  });

  it('after a power cut with no network: only tokens issued after the time floor pass, and each raises it', async () => {
    const h = harness();
    // Before the cut: synchronised; the floor follows the clock.
    h.store.timeFloor.raise(NOW, 'ntp');
    const restarted = harness({ store: stores.restart(h.store) });
    // The box restarts three hours later with its clock where fake-hwclock left it, 20 minutes before the cut.
    restarted.clock.synchronised = false;
    restarted.clock.now = new Date(NOW.getTime() - 20 * 60_000);
    const real = NOW.getTime() + 3 * 3_600_000;
    // A screenshot of a token from before the cut: its iat is below the floor.
    expect(await refusal(restarted, scanner, token({ issuedAt: new Date(NOW.getTime() - 5 * 60_000) }))).toBe('EXPIRED');
    // A fresh token from the phone: issued after the floor, accepted; the floor moves to its iat.
    expect(await refusal(restarted, scanner, token({ issuedAt: new Date(real) }))).toBe('GRANTED');
    expect(restarted.store.timeFloor.get()).toEqual({ at: new Date(Math.floor(real / 1000) * 1000), source: 'token' });
    const granted = restarted.store.outbox.pending(10).find((e) => e.type === 'access.granted');
    expect(granted?.data['clock']).toBe('behind-floor');
    // An older token issued between the cut and the fresh one is now below the floor.
    expect(await refusal(restarted, scanner, token({ issuedAt: new Date(real - 3_600_000) }))).toBe('EXPIRED');
    // Once NTP synchronises, normal expiry rules apply again with the real time.
    restarted.clock.synchronised = true;
    restarted.clock.now = new Date(real + 10_000);
    expect(await refusal(restarted, scanner, token({ issuedAt: new Date(real) }))).toBe('GRANTED');
  });

  it('a box with a trusted RTC (clockTrust: system) checks expiry against its clock alone', async () => {
    const h = harness({ mode: 'system' });
    h.clock.synchronised = false;
    expect(await refusal(h, scanner, token())).toBe('GRANTED');
    expect(await refusal(h, scanner, token({ issuedAt: new Date(NOW.getTime() - 3_600_000) }))).toBe('EXPIRED');
  });
});

describe('trusted keys file', () => {
  it('refuses a private key, a non-Ed25519 key and a missing kid, naming each', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await generateIssuerKey('p')).privateJwk }, { kty: 'RSA', kid: 'r', n: 'x', e: 'AQAB' }, { ...current.publicJwk, kid: undefined }] }));
    const err = (await loadTrustedKeys(file).then(
      () => ({ problems: [] }),
      (e: unknown) => e,
    )) as { problems: Array<{ path: string; message: string }> };
    dir.remove();
    expect(err.problems.map((p) => p.path)).toEqual(['keys[0] (p)', 'keys[1] (r)', 'keys[2]']);
    expect(err.problems[0]?.message).toMatch(/private key/);
    expect(err.problems[1]?.message).toMatch(/Ed25519/);
    expect(err.problems[2]?.message).toMatch(/kid/);
  });
});
