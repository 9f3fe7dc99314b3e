import { beforeAll, describe, expect, it } from 'vitest';
import { AntiPassback } from '../../../gateway/access/anti-passback.js';
import { rollingCode, stepAt, type CodeRequest } from '../../../simulators/cloud/pass-issuer.js';
import { issueToken, type TokenRequest } from '../../../simulators/cloud/token-issuer.js';
import { useTempStores } from '../store/temp-store.js';
import { NOW, STATION, passWorld, workerPass, type PassWorld } from './pass/pass-fixture.js';
import { cloud, deniedEvents, outcome, passConfig, passHarness, scanner } from './pass-access-harness.js';

/*
 * Anti-passback in the access decision: one pass (or token) lets one person in. Held by the
 * worker's sub for `seconds` on the injected monotonic clock, released early when the occupancy
 * count reads back at what it was before the entry; workers only, unlock only, never spends.
 */

let world: PassWorld;
const stores = useTempStores();
beforeAll(async () => {
  world = await passWorld();
});

const SUB = 'w-5f3c9a1e';
/** main-door's unlockMs (the schema's default): how long after an entry the count is not yet to be believed. */
const DOOR_OPEN_MS = 5000;
const withPassback = (over: Record<string, unknown> = {}) => passConfig({ antiPassback: { seconds: 120, ...over } });
const code = (request: Partial<CodeRequest> = {}, pass: Uint8Array = workerPass(world)): string =>
  rollingCode(pass, world.phone, { act: 'unlock', res: 'main-door', station: STATION, at: NOW, ...request });
const token = (over: Partial<TokenRequest> = {}): Promise<string> =>
  issueToken(world.fleet, { station: STATION, res: 'main-door', act: 'unlock', sub: SUB, issuedAt: new Date(NOW.getTime() - 5000), ...over });

describe('anti-passback', () => {
  it('is off by default: the same worker enters twice in a row', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code({}, pass))).toBe('GRANTED');
    h.people.n = 1;
    expect(await outcome(h, scanner, code({ step: stepAt(NOW) + 1 }, pass))).toBe('GRANTED');
  });

  it('refuses the same worker\'s second entry within `seconds` with PASSBACK, by pass or by token, at any entry door', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code({}, pass))).toBe('GRANTED');
    h.people.n = 1; // the worker walked in
    h.mono.ms += 30_000;
    expect(await outcome(h, scanner, code({ step: stepAt(NOW) + 1 }, pass))).toBe('PASSBACK');
    // A token of the same worker does not get round it, nor another entry door, nor the cloud path.
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
    expect(await outcome(h, cloud('unlock'), token({ res: 'side-door' }))).toBe('PASSBACK');
    expect(h.done).toEqual(['unlock main-door']);
    expect(deniedEvents(h)).toEqual([
      expect.objectContaining({ code: 'PASSBACK', sub: SUB, res: 'main-door', pass: expect.any(String), reason: expect.stringContaining('one pass lets one person in') }),
      expect.objectContaining({ code: 'PASSBACK', sub: SUB, jti: expect.any(String) }),
      expect.objectContaining({ code: 'PASSBACK', sub: SUB, res: 'side-door', via: 'cloud' }),
    ]);
    // Not an entry: a swap or water for the same worker is not held.
    expect(await outcome(h, scanner, code({ act: 'dispense', res: 'water-1', step: stepAt(NOW) - 1 }, pass))).toBe('GRANTED');
  });

  it('a token opening first holds the worker\'s pass too', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    expect(await outcome(h, scanner, token())).toBe('GRANTED');
    h.people.n = 1;
    expect(await outcome(h, scanner, code())).toBe('PASSBACK');
  });

  it('holds nobody else: another worker, an operator', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    expect(await outcome(h, scanner, code())).toBe('GRANTED');
    h.people.n = 1;
    expect(await outcome(h, scanner, code({}, workerPass(world, { sub: 'w-other' })))).toBe('GRANTED');
    h.people.n = 2;
    const operatorPass = workerPass(world, { sub: 'op-1', role: 'operator', grants: [{ act: 'unlock' }] });
    expect(await outcome(h, scanner, code({}, operatorPass))).toBe('GRANTED');
    expect(await outcome(h, scanner, code({ step: stepAt(NOW) + 1 }, operatorPass))).toBe('GRANTED');
    expect(await outcome(h, scanner, token({ sub: 'op-1', role: 'operator' }))).toBe('GRANTED');
    expect(h.done).toHaveLength(5);
  });

  it('releases the hold after `seconds` on the monotonic clock', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code({}, pass))).toBe('GRANTED');
    h.people.n = 3; // and more came in: the count says nothing about this worker leaving
    h.mono.ms += 119_000;
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
    h.mono.ms += 1_000;
    expect(await outcome(h, scanner, code({ step: stepAt(NOW) + 1 }, pass))).toBe('GRANTED');
  });

  it('releases the hold once the occupancy count reads back at what it read before the entry; not while it is above', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    const pass = workerPass(world);
    h.people.n = 2;
    expect(await outcome(h, scanner, code({}, pass))).toBe('GRANTED'); // 2 inside before this entry
    h.people.n = 3;
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
    h.people.n = 2; // someone left...
    expect(await outcome(h, scanner, token())).toBe('PASSBACK'); // ...but the door is still released: the count may not have seen the entry yet
    h.mono.ms += DOOR_OPEN_MS;
    expect(await outcome(h, scanner, code({ step: stepAt(NOW) + 1 }, pass))).toBe('GRANTED');
    // That entry holds again, from a count of 2.
    h.people.n = 3;
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
    // An unknown count (sensor offline) releases nothing; the time still does.
    h.people.n = undefined;
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
  });

  it('does not spend the code or token it refuses: once released, the same one opens', async () => {
    const h = passHarness(world, stores, { cfg: withPassback() });
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code({}, pass))).toBe('GRANTED');
    h.people.n = 1;
    const held = code({ step: stepAt(NOW) + 1 }, pass);
    const tok = await token();
    expect(await outcome(h, scanner, held)).toBe('PASSBACK');
    expect(await outcome(h, scanner, tok)).toBe('PASSBACK');
    h.people.n = 0; // the worker went out (the exit button is the lock's own: never asked here)
    h.mono.ms += DOOR_OPEN_MS;
    expect(await outcome(h, scanner, held)).toBe('GRANTED');
    h.people.n = 1;
    h.mono.ms += 120_000;
    expect(await outcome(h, scanner, tok)).toBe('GRANTED');
    expect(h.done).toEqual(['unlock main-door', 'unlock main-door', 'unlock main-door']);
  });

  it('holds nobody when the door failed to open, and applies to the listed resources only', async () => {
    const h = passHarness(world, stores, { cfg: withPassback({ resources: ['main-door'] }) });
    h.jam.door = true;
    expect(await outcome(h, scanner, code())).toBe('DEVICE_ERROR');
    h.jam.door = false;
    expect(await outcome(h, scanner, token())).toBe('GRANTED');
    h.people.n = 1;
    expect(await outcome(h, scanner, token({ res: 'side-door' }))).toBe('GRANTED');
    expect(await outcome(h, scanner, token())).toBe('PASSBACK');
  });
});

describe('access.antiPassback in the station file', () => {
  it('names entry doors only: an unknown resource or a dispenser is refused at validation', () => {
    expect(() => withPassback({ resources: ['sauna'] })).toThrow(/no resource .*sauna/);
    expect(() => withPassback({ resources: ['water-1'] })).toThrow(/not a door/);
    expect(() => withPassback({ seconds: 5 })).toThrow();
    expect(withPassback({ resources: ['main-door'] }).access?.antiPassback).toEqual({ seconds: 120, resources: ['main-door'] });
  });
});

describe('AntiPassback memory', () => {
  it('keeps at most maxHolds workers, the oldest dropped, and forgets holds that ran out', () => {
    const clock = { ms: 0 };
    const rule = new AntiPassback({ seconds: 60, resources: new Set(['main-door']), monotonic: () => clock.ms, maxHolds: 3 });
    for (const sub of ['a', 'b', 'c', 'd']) rule.entered(sub, undefined, 0);
    expect(rule.size).toBe(3);
    expect(rule.refusal('a', 0)).toBeUndefined(); // dropped: its worker may enter again
    // The count was unknown at d's entry: no reading releases it, only time.
    expect(rule.refusal('d', 0)).toBeDefined();
    clock.ms = 61_000;
    rule.entered('e', undefined, 0);
    expect(rule.size).toBe(1);
  });
});
