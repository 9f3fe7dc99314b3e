import { EVENT_CATALOGUE } from '../../../cloud-bridge/event-catalogue.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { rollingCode, stepAt, type CodeRequest } from '../../../simulators/cloud/pass-issuer.js';
import { issueToken } from '../../../simulators/cloud/token-issuer.js';
import { useTempStores } from '../store/temp-store.js';
import { NOW, STATION, passWorld, workerPass, type PassWorld } from './pass/pass-fixture.js';
import { GROUP, STATION_CODE, cloud, deniedEvents, grantedEvents, outcome, passConfig, passHarness, scanner } from './pass-access-harness.js';

/*
 * Rolling codes through the station's access decision (AccessService with a PassVerifier), with
 * passes and codes from the cloud's and the phone's side (simulators/cloud/pass-issuer.ts) and a
 * real store on disk: the same decision, records and codes as for tokens.
 */

let world: PassWorld;
const stores = useTempStores();
beforeAll(async () => {
  world = await passWorld();
});

const door = { act: 'unlock', res: 'main-door' } as const;
const code = (pass: Uint8Array = workerPass(world), request: Partial<CodeRequest> = {}, phone = world.phone): string =>
  rollingCode(pass, phone, { ...door, station: STATION, at: NOW, ...request });

describe('a rolling code at the station', () => {
  it('opens the door: access.granted on disk names the pass and the step, never a jti or the code', async () => {
    const h = passHarness(world, stores);
    const text = code();
    await expect(h.service.handle(scanner, text)).resolves.toEqual({ res: 'main-door', door: 1, openMs: 5000 });
    expect(h.done).toEqual(['unlock main-door']);
    const [granted] = grantedEvents(h);
    expect(granted).toMatchObject({ res: 'main-door', act: 'unlock', sub: 'w-5f3c9a1e', role: 'worker', via: 'scanner-1', step: stepAt(NOW), kid: world.fleet.kid, clock: 'synchronised' });
    expect(granted!['pass']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(granted).not.toHaveProperty('jti');
    // The contract's event schema takes it (it once required a jti).
    expect(EVENT_CATALOGUE['access.granted'].data.safeParse(granted).success).toBe(true);
    expect(JSON.stringify(h.store.outbox.pending(100))).not.toContain(text.slice(4, 40));
  });

  it('carries a code out once: the same code again is REPLAYED and on record; the door opened once, also after a restart', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    const text = code(pass);
    expect(await outcome(h, scanner, text)).toBe('GRANTED');
    expect(await outcome(h, scanner, text)).toBe('REPLAYED');
    const restarted = passHarness(world, stores, { store: stores.restart(h.store) });
    expect(await outcome(restarted, scanner, text)).toBe('REPLAYED');
    expect([...h.done, ...restarted.done]).toEqual(['unlock main-door']);
    const pass1 = grantedEvents(restarted)[0]!['pass'];
    expect(deniedEvents(restarted)).toEqual([
      expect.objectContaining({ code: 'REPLAYED', sub: 'w-5f3c9a1e', pass: pass1, step: stepAt(NOW), via: 'scanner-1' }),
      expect.objectContaining({ code: 'REPLAYED', pass: pass1 }),
    ]);
  });

  it('one step, one use: another code of the same pass in the same step is REPLAYED, even for another action; the next step opens', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code(pass))).toBe('GRANTED');
    expect(await outcome(h, scanner, code(pass, { station: '' }))).toBe('REPLAYED');
    expect(await outcome(h, cloud('dispense'), code(pass, { act: 'dispense', res: 'water-1' }))).toBe('REPLAYED');
    expect(await outcome(h, scanner, code(pass, { step: stepAt(NOW) + 1 }))).toBe('GRANTED');
    expect(h.done).toEqual(['unlock main-door', 'unlock main-door']);
  });

  it('refuses a code from before the allowed step (a screenshot) with EXPIRED; one step back is still taken', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    expect(await outcome(h, scanner, code(pass, { step: stepAt(NOW) - 2 }))).toBe('EXPIRED');
    expect(await outcome(h, scanner, code(pass, { step: stepAt(NOW) - 1 }))).toBe('GRANTED');
    expect(deniedEvents(h)).toEqual([expect.objectContaining({ code: 'EXPIRED', sub: 'w-5f3c9a1e', step: stepAt(NOW) - 2 })]);
  });

  it('WRONG_STATION: a pass for other stations, or a code signed for another station code; this station code and its group open', async () => {
    const h = passHarness(world, stores);
    expect(await outcome(h, scanner, code(workerPass(world, { stations: ['other-st-0002'] })))).toBe('WRONG_STATION');
    expect(await outcome(h, scanner, code(workerPass(world), { station: 'zz9' }))).toBe('WRONG_STATION');
    expect(await outcome(h, scanner, code(workerPass(world, { stations: [], groups: ['elsewhere'] })))).toBe('WRONG_STATION');
    expect(await outcome(h, scanner, code(workerPass(world), { station: STATION_CODE }))).toBe('GRANTED');
    expect(await outcome(h, scanner, code(workerPass(world, { stations: [], groups: [GROUP] }), { station: '' }))).toBe('GRANTED');
    expect(deniedEvents(h).map((e) => e['code'])).toEqual(['WRONG_STATION', 'WRONG_STATION', 'WRONG_STATION']);
  });

  it('refuses an expired pass (EXPIRED), a forged phone signature (BAD_TOKEN, on record) and a pass longer than access.maxPassSeconds', async () => {
    const h = passHarness(world, stores, { cfg: passConfig({ maxPassSeconds: 3 * 86_400 }) });
    const expired = workerPass(world, { issuedAt: new Date(NOW.getTime() - 3 * 86_400_000), ttlSeconds: 86_400 });
    expect(await outcome(h, scanner, code(expired))).toBe('EXPIRED');
    expect(await outcome(h, scanner, code(workerPass(world), {}, world.otherPhone))).toBe('BAD_TOKEN');
    expect(await outcome(h, scanner, code(workerPass(world, { ttlSeconds: 4 * 86_400 })))).toBe('BAD_TOKEN');
    expect(h.done).toEqual([]);
    // Each of them names a pass the cloud issued: written down one by one, not junk.
    expect(deniedEvents(h)).toEqual([
      expect.objectContaining({ code: 'EXPIRED', sub: 'w-5f3c9a1e' }),
      expect.objectContaining({ code: 'BAD_TOKEN', sub: 'w-5f3c9a1e', reason: expect.stringContaining('phone') }),
      expect.objectContaining({ code: 'BAD_TOKEN', sub: 'w-5f3c9a1e' }),
    ]);
    expect(h.service.counts().junk).toEqual([]);
  });

  it('counts and drops as junk a pass signed by a key the station does not trust, or forged under a trusted kid', async () => {
    const h = passHarness(world, stores);
    expect(await outcome(h, scanner, code(workerPass(world, {}, world.stranger)))).toBe('UNKNOWN_KEY');
    expect(await outcome(h, scanner, code(workerPass(world, {}, world.forger)))).toBe('BAD_TOKEN');
    expect(await outcome(h, scanner, 'RC1:NOT A CODE')).toBe('BAD_TOKEN');
    expect(h.service.counts().junk).toEqual([
      { via: 'scanner-1', code: 'UNKNOWN_KEY', count: 1 },
      { via: 'scanner-1', code: 'BAD_TOKEN', count: 2 },
    ]);
    // One record for the source's first junk, then counted: none names a worker.
    expect(deniedEvents(h)).toEqual([expect.objectContaining({ code: 'UNKNOWN_KEY', attempts: 1 })]);
    expect(deniedEvents(h)[0]).not.toHaveProperty('sub');
    // Junk never reaches the revocation list.
    expect(h.revocations.asked).toEqual([]);
  });

  it('refuses a revoked pass or worker with REVOKED and access.denied, without spending the code', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    const text = code(pass);
    expect(await outcome(h, scanner, text)).toBe('GRANTED');
    const passId = grantedEvents(h)[0]!['pass'] as string;
    const iat = Math.floor(NOW.getTime() / 1000) - 3600;
    expect(h.revocations.asked).toEqual([{ passId, sub: 'w-5f3c9a1e', iat }]);

    h.revocations.passes.add(passId);
    const next = code(pass, { step: stepAt(NOW) + 1 });
    expect(await outcome(h, scanner, next)).toBe('REVOKED');
    // Revoked wins over what else is wrong with it: a replayed code of a revoked pass says REVOKED.
    expect(await outcome(h, scanner, text)).toBe('REVOKED');
    h.revocations.passes.clear();
    h.revocations.workers.add('w-5f3c9a1e');
    expect(await outcome(h, cloud('unlock'), code(workerPass(world)))).toBe('REVOKED');
    expect(h.done).toEqual(['unlock main-door']);
    expect(deniedEvents(h)).toEqual([
      expect.objectContaining({ code: 'REVOKED', sub: 'w-5f3c9a1e', pass: passId, step: stepAt(NOW) + 1, via: 'scanner-1', reason: expect.stringContaining('phone reported lost') }),
      expect.objectContaining({ code: 'REVOKED', pass: passId, step: stepAt(NOW) }),
      expect.objectContaining({ code: 'REVOKED', via: 'cloud', reason: expect.stringContaining('worker revoked') }),
    ]);
    // The refused code was not claimed: once the list no longer revokes it, it opens.
    h.revocations.workers.clear();
    expect(await outcome(h, scanner, next)).toBe('GRANTED');
  });

  it('takes the cloud path: cmd/unlock and cmd/swap with a code as `token`; the code\'s act must be the command\'s', async () => {
    const h = passHarness(world, stores);
    const pass = workerPass(world);
    expect(await outcome(h, cloud('unlock'), `${code(pass)}\n`)).toBe('GRANTED');
    expect(await outcome(h, cloud('swap'), code(pass, { step: stepAt(NOW) + 1 }))).toBe('FORBIDDEN');
    expect(await outcome(h, cloud('swap'), code(pass, { act: 'swap', res: 'cabinet-1', step: stepAt(NOW) - 1 }))).toBe('GRANTED');
    // A code for what the pass does not grant.
    expect(await outcome(h, scanner, code(workerPass(world), { res: 'side-door' }))).toBe('FORBIDDEN');
    expect(h.done).toEqual(['unlock main-door', 'swap cabinet-1']);
    expect(grantedEvents(h).map((e) => e['via'])).toEqual(['cloud', 'cloud']);
    expect(deniedEvents(h).map((e) => [e['code'], e['via']])).toEqual([
      ['FORBIDDEN', 'cloud'],
      ['FORBIDDEN', 'scanner-1'],
    ]);
    // The FORBIDDEN code was not spent: at the scanner, where it does fit, it opens.
    expect(await outcome(h, scanner, code(pass, { step: stepAt(NOW) + 1 }))).toBe('GRANTED');
  });

  it('on an untrusted clock: floor policy takes a fresh code, refuses one from before the floor; refuse policy refuses all', async () => {
    const h = passHarness(world, stores);
    h.clock.synchronised = false;
    // No trusted time ever seen: nothing can be judged.
    expect(await outcome(h, scanner, code())).toBe('CLOCK_UNTRUSTED');
    // A power cut: the box restarts hours behind a floor it saw a minute before NOW.
    h.store.timeFloor.raise(new Date(NOW.getTime() - 60_000), 'ntp');
    h.clock.now = new Date(NOW.getTime() - 3 * 3600_000);
    expect(await outcome(h, scanner, code())).toBe('GRANTED');
    expect(await outcome(h, scanner, code(workerPass(world), { at: new Date(NOW.getTime() - 120_000) }))).toBe('EXPIRED');
    // The phone's step does not move the floor; the pass's iat (an hour before NOW) is below it.
    expect(h.store.timeFloor.get()?.at).toEqual(new Date(NOW.getTime() - 60_000));

    const strict = passHarness(world, stores, { cfg: passConfig({ untrustedClock: 'refuse' }), store: h.store });
    strict.clock.synchronised = false;
    expect(await outcome(strict, scanner, code(workerPass(world)))).toBe('CLOCK_UNTRUSTED');
  });

  it('takes a short token beside passes, for the same worker, with its jti on record', async () => {
    const h = passHarness(world, stores);
    const token = await issueToken(world.fleet, { station: STATION, res: 'main-door', act: 'unlock', sub: 'w-5f3c9a1e', issuedAt: new Date(NOW.getTime() - 5000) });
    expect(await outcome(h, scanner, token)).toBe('GRANTED');
    expect(await outcome(h, scanner, code())).toBe('GRANTED');
    expect(grantedEvents(h)).toEqual([expect.objectContaining({ jti: expect.any(String) }), expect.objectContaining({ pass: expect.any(String) })]);
    expect(h.done).toEqual(['unlock main-door', 'unlock main-door']);
  });

  it('spends the worker\'s budget (by the pass\'s sub) on verified codes, replays included: BUSY after scansPerMinute', async () => {
    const h = passHarness(world, stores, { cfg: passConfig({ scansPerMinute: 3 }) });
    const text = code();
    const results: string[] = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(h, scanner, text));
    expect(results).toEqual(['GRANTED', 'REPLAYED', 'REPLAYED', 'BUSY']);
    // Another worker's pass is not held up by it.
    expect(await outcome(h, scanner, code(workerPass(world, { sub: 'w-other' })))).toBe('GRANTED');
  });
});
