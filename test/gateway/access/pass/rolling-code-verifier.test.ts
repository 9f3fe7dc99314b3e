import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessDenied, UnverifiedToken } from '../../../../gateway/access/access-error.js';
import { verifyRollingCode } from '../../../../gateway/access/pass/rolling-code-verifier.js';
import { encodeBase45, passPayload, rollingCode, rollingCodeBytes, signPayload, stepAt } from '../../../../simulators/cloud/pass-issuer.js';
import { issueToken } from '../../../../simulators/cloud/token-issuer.js';
import { NOW, STATION, options, passWorld, trusted, workerPass, type PassWorld } from './pass-fixture.js';

/*
 * The station's check of a rolling code, against codes the cloud's and the phone's side
 * (simulators/cloud/pass-issuer.ts, written apart from the verifier) make: one accepted, then each
 * refusal docs/passes.md lists with its contract code, and whether it counts as free junk.
 */

let world: PassWorld;
beforeAll(async () => {
  world = await passWorld();
});

const step = stepAt(NOW);
const door = { act: 'unlock', res: 'main-door' } as const;

/** The code and whether it was refused before the cloud's signature verified (UnverifiedToken). */
function refusal(run: () => unknown): { code: string; unverified: boolean } {
  try {
    run();
  } catch (err) {
    if (!(err instanceof AccessDenied)) throw err;
    return { code: err.code, unverified: err instanceof UnverifiedToken };
  }
  throw new Error('the code was accepted');
}

describe('a rolling code', () => {
  it('opens what its pass grants, in the shape the access decision takes for tokens', () => {
    const pass = workerPass(world, { iss: 'https://cloud.example.net' });
    const text = rollingCode(pass, world.phone, { ...door, station: STATION, at: NOW });
    expect(text.startsWith('RC1:')).toBe(true);
    // A scanner line end is trimmed before the check: base45 never ends in a space, so trimming takes nothing.
    expect(text.trim()).toBe(text);
    const verified = verifyRollingCode(text, trusted(), options(world));
    expect(verified.claims).toEqual({
      iss: 'https://cloud.example.net',
      sub: 'w-5f3c9a1e',
      res: 'main-door',
      act: 'unlock',
      iat: new Date(NOW.getTime() - 3600_000),
      exp: new Date((step + 2) * 5000),
      jti: `pass:${verified.passId}:${step}`,
      role: 'worker',
      kid: 'fleet-2026-12',
    });
    expect(verified.replayKey).toBe(verified.claims.jti);
    expect(verified.step).toBe(step);
    expect(verified.passId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(verified.pass.grants).toEqual([
      { act: 'unlock', res: 'main-door' },
      { act: 'swap', res: 'cabinet-1' },
      { act: 'dispense', res: null },
    ]);
  });

  it('opens without a station code (the phone did not know where it was), by the station code, and by a group', () => {
    const pass = workerPass(world);
    expect(verifyRollingCode(rollingCode(pass, world.phone, { ...door, at: NOW }), trusted(), options(world)).claims.res).toBe('main-door');
    expect(verifyRollingCode(rollingCode(pass, world.phone, { ...door, station: 'HZ1', at: NOW }), trusted(), options(world, { stationCode: 'HZ1' })).claims.act).toBe('unlock');
    const grouped = workerPass(world, { stations: [], groups: ['hz-west'] });
    const code = rollingCode(grouped, world.phone, { act: 'dispense', res: 'water-1', at: NOW });
    expect(verifyRollingCode(code, trusted(), options(world, { stationGroups: ['hz-west'] })).claims.res).toBe('water-1');
    expect(refusal(() => verifyRollingCode(code, trusted(), options(world, { stationGroups: ['hz-east'] })))).toEqual({ code: 'WRONG_STATION', unverified: false });
  });

  it('names an operator pass so', () => {
    const pass = workerPass(world, { role: 'operator', grants: [{ act: 'operate', res: 'cabinet-1' }] });
    const claims = verifyRollingCode(rollingCode(pass, world.phone, { act: 'operate', res: 'cabinet-1', at: NOW }), trusted(), options(world)).claims;
    expect([claims.role, claims.act, claims.iss]).toEqual(['operator', 'operate', 'key:fleet-2026-12']);
  });

  it('is accepted from one step either side of the station\'s, for the phone\'s clock, and no further', () => {
    const pass = workerPass(world);
    for (const s of [step - 1, step + 1]) expect(verifyRollingCode(rollingCode(pass, world.phone, { ...door, step: s }), trusted(), options(world)).step).toBe(s);
    expect(refusal(() => verifyRollingCode(rollingCode(pass, world.phone, { ...door, step: step - 2 }), trusted(), options(world)))).toEqual({ code: 'EXPIRED', unverified: false });
    expect(refusal(() => verifyRollingCode(rollingCode(pass, world.phone, { ...door, step: step + 2 }), trusted(), options(world)))).toEqual({ code: 'NOT_YET_VALID', unverified: false });
    // Without the allowance, the previous step is refused outright.
    expect(refusal(() => verifyRollingCode(rollingCode(pass, world.phone, { ...door, step: step - 1 }), trusted(), options(world, { skewSteps: 0 })))).toEqual({ code: 'EXPIRED', unverified: false });
  });
});

describe('a rolling code is refused with its contract code', () => {
  const check = (text: string, over: Parameters<typeof options>[1] = {}, clock = trusted()) => refusal(() => verifyRollingCode(text, clock, options(world, over)));

  it('a screenshot replayed after its step: EXPIRED', () => {
    const text = rollingCode(workerPass(world), world.phone, { ...door, at: NOW });
    expect(check(text, {}, trusted(new Date(NOW.getTime() + 30_000)))).toEqual({ code: 'EXPIRED', unverified: false });
  });

  it('the same code twice: REPLAYED', () => {
    const text = rollingCode(workerPass(world), world.phone, { ...door, at: NOW });
    const granted = new Set<string>();
    const opts = options(world, { seen: (key) => granted.has(key) });
    granted.add(verifyRollingCode(text, trusted(), opts).replayKey);
    expect(refusal(() => verifyRollingCode(text, trusted(), opts))).toEqual({ code: 'REPLAYED', unverified: false });
    // The pass's next code, a step later, is a new one.
    expect(verifyRollingCode(rollingCode(workerPass(world), world.phone, { ...door, step: step + 1 }), trusted(), opts).step).toBe(step + 1);
  });

  it('a pass for another station, or a code the phone made for another station: WRONG_STATION', () => {
    expect(check(rollingCode(workerPass(world, { stations: ['demo-hz-0002'] }), world.phone, { ...door, at: NOW }))).toEqual({ code: 'WRONG_STATION', unverified: false });
    expect(check(rollingCode(workerPass(world), world.phone, { ...door, station: 'demo-hz-0002', at: NOW }))).toEqual({ code: 'WRONG_STATION', unverified: false });
  });

  it('an expired pass: EXPIRED; a pass not valid yet: NOT_YET_VALID', () => {
    const old = workerPass(world, { issuedAt: new Date(NOW.getTime() - 3 * 24 * 3600_000), ttlSeconds: 24 * 3600 });
    expect(check(rollingCode(old, world.phone, { ...door, at: NOW }))).toEqual({ code: 'EXPIRED', unverified: false });
    const later = workerPass(world, { issuedAt: new Date(NOW.getTime() - 60_000), notBefore: new Date(NOW.getTime() + 3600_000) });
    expect(check(rollingCode(later, world.phone, { ...door, at: NOW }))).toEqual({ code: 'NOT_YET_VALID', unverified: false });
  });

  it('a pass whose signature is forged (another key under the trusted kid): BAD_TOKEN, before anything is believed', () => {
    const forged = workerPass(world, {}, world.forger);
    expect(check(rollingCode(forged, world.phone, { ...door, at: NOW }))).toEqual({ code: 'BAD_TOKEN', unverified: true });
  });

  it('a pass signed by a key the station does not trust: UNKNOWN_KEY', () => {
    expect(check(rollingCode(workerPass(world, {}, world.stranger), world.phone, { ...door, at: NOW }))).toEqual({ code: 'UNKNOWN_KEY', unverified: true });
  });

  it('a code whose phone signature is forged (the pass shown by another phone): BAD_TOKEN, on a pass the cloud issued', () => {
    expect(check(rollingCode(workerPass(world), world.otherPhone, { ...door, at: NOW }))).toEqual({ code: 'BAD_TOKEN', unverified: false });
  });

  it('a resource or action the pass does not grant: FORBIDDEN', () => {
    const pass = workerPass(world);
    expect(check(rollingCode(pass, world.phone, { act: 'unlock', res: 'first-aid', at: NOW }))).toEqual({ code: 'FORBIDDEN', unverified: false });
    expect(check(rollingCode(pass, world.phone, { act: 'operate', res: 'cabinet-1', at: NOW }))).toEqual({ code: 'FORBIDDEN', unverified: false });
  });

  it('a pass that lives longer than the station accepts (7 days unless set): BAD_TOKEN', () => {
    const long = workerPass(world, { ttlSeconds: 8 * 24 * 3600 });
    expect(check(rollingCode(long, world.phone, { ...door, at: NOW }))).toEqual({ code: 'BAD_TOKEN', unverified: false });
    const day = workerPass(world);
    expect(check(rollingCode(day, world.phone, { ...door, at: NOW }), { maxPassSeconds: 3600 })).toEqual({ code: 'BAD_TOKEN', unverified: false });
  });

  it('a token, a poster\'s QR code, or an empty line: BAD_TOKEN, as free junk', async () => {
    const token = await issueToken(world.fleet, { station: STATION, res: 'main-door', act: 'unlock' });
    for (const text of [token, 'https://example.com/menu', '', 'RC1:', 'RC1:abc']) expect(check(text)).toEqual({ code: 'BAD_TOKEN', unverified: true });
  });

  it('a signed pass with a claim this format does not define, or a missing one: BAD_TOKEN', () => {
    const sign = (claims: Map<number, unknown>) => signPayload(world.fleet, encode(claims, rfc8949EncodeOptions));
    const good = decodeClaims(passPayload({ sub: 'w-1', phoneKey: world.phone.publicKey, stations: [STATION], grants: [door], issuedAt: NOW }));
    expect(verifyRollingCode(rollingCode(sign(good), world.phone, { ...door, at: NOW }), trusted(), options(world)).claims.sub).toBe('w-1');
    const extra = new Map(good).set(-65538, 'unlock everything');
    const missing = new Map(good);
    missing.delete(8);
    for (const claims of [extra, missing]) expect(check(rollingCode(sign(claims), world.phone, { ...door, at: NOW }))).toEqual({ code: 'BAD_TOKEN', unverified: false });
  });

  it('a pass signed with another algorithm id: BAD_TOKEN; the fully specified Ed25519 (-19) is taken', () => {
    const payload = passPayload({ sub: 'w-1', phoneKey: world.phone.publicKey, stations: [STATION], grants: [door], issuedAt: NOW });
    expect(check(rollingCode(signPayload(world.fleet, payload, -7), world.phone, { ...door, at: NOW }))).toEqual({ code: 'BAD_TOKEN', unverified: true });
    expect(verifyRollingCode(rollingCode(signPayload(world.fleet, payload, -19), world.phone, { ...door, at: NOW }), trusted(), options(world)).claims.sub).toBe('w-1');
  });

  it('a code in a non-deterministic encoding of the same values: BAD_TOKEN', () => {
    const pass = workerPass(world);
    const bytes = rollingCodeBytes(pass, world.phone, { ...door, at: NOW });
    // The step, right after the array's head and the pass, spelled in 8 bytes instead of 4.
    const at = 1 + encode(pass).length;
    expect(bytes[at]).toBe(0x1a);
    const stepBytes = bytes.slice(at + 1, at + 5);
    expect(new DataView(stepBytes.buffer, stepBytes.byteOffset).getUint32(0)).toBe(step);
    const longer = new Uint8Array([...bytes.slice(0, at), 0x1b, 0, 0, 0, 0, ...stepBytes, ...bytes.slice(at + 5)]);
    expect(check(`RC1:${encodeBase45(longer)}`)).toEqual({ code: 'BAD_TOKEN', unverified: true });
  });
});

describe('the station\'s clock', () => {
  const text = () => rollingCode(workerPass(world), world.phone, { ...door, at: NOW });

  it('not trusted and set to refuse, or never trusted at all: CLOCK_UNTRUSTED', () => {
    const behind = new Date(NOW.getTime() - 3 * 3600_000);
    expect(refusal(() => verifyRollingCode(text(), { now: behind, trusted: false, reason: 'unsynchronised', floor: behind }, options(world, { untrustedClock: 'refuse' })))).toEqual({ code: 'CLOCK_UNTRUSTED', unverified: false });
    expect(refusal(() => verifyRollingCode(text(), { now: behind, trusted: false, reason: 'unsynchronised', floor: undefined }, options(world)))).toEqual({ code: 'CLOCK_UNTRUSTED', unverified: false });
  });

  it('hours behind after a power cut, on the floor policy: a fresh code opens, one from before the floor does not', () => {
    const floor = new Date(NOW.getTime() - 2 * 3600_000);
    const clock = { now: floor, trusted: false, reason: 'behind-floor', floor } as const;
    // The phone's clock is right; the station's cannot say "not yet", only "too old".
    expect(verifyRollingCode(text(), clock, options(world)).claims.res).toBe('main-door');
    const pass = workerPass(world, { issuedAt: new Date(NOW.getTime() - 5 * 3600_000) });
    const beforeFloor = rollingCode(pass, world.phone, { ...door, at: new Date(floor.getTime() - 60_000) });
    expect(refusal(() => verifyRollingCode(beforeFloor, clock, options(world)))).toEqual({ code: 'EXPIRED', unverified: false });
  });

  it('behind, a code claiming a time after its pass expired, or before it was valid, is refused all the same', () => {
    const floor = new Date(NOW.getTime() - 2 * 3600_000);
    const clock = { now: floor, trusted: false, reason: 'behind-floor', floor } as const;
    const pass = workerPass(world, { issuedAt: new Date(NOW.getTime() - 3 * 3600_000), ttlSeconds: 4 * 3600 });
    expect(refusal(() => verifyRollingCode(rollingCode(pass, world.phone, { ...door, at: new Date(NOW.getTime() + 2 * 3600_000) }), clock, options(world)))).toEqual({ code: 'EXPIRED', unverified: false });
    const later = workerPass(world, { issuedAt: new Date(NOW.getTime() - 3 * 3600_000), notBefore: NOW });
    const early = rollingCode(later, world.phone, { ...door, at: new Date(NOW.getTime() - 3600_000) });
    expect(refusal(() => verifyRollingCode(early, clock, options(world)))).toEqual({ code: 'NOT_YET_VALID', unverified: false });
  });
});

/** The claims map of a payload the issuer made, to change one claim and sign it again. */
const decodeClaims = (payload: Uint8Array): Map<number, unknown> => decode(payload, { useMaps: true }) as Map<number, unknown>;
