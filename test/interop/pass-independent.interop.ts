import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeBase45,
  generatePhoneKey,
  issuePass,
  passPayload,
  rollingCode,
  rollingCodeBytes,
  signPayload,
  stepAt,
  type PassRequest,
  type PassSigner,
  type PhoneKey,
} from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Issue 20: "an independent verifier, written apart from the project's code, checks a pass and a
 * rolling code produced by the project, so the format is not only self-consistent".
 *
 * test/interop/independent/verify_rolling_code.py was written from docs/passes.md alone (Debian's
 * python3-cryptography for Ed25519, python3-cbor2 for CBOR values; its strictness, base45 and the
 * deterministic re-encoding are its own). Here the PROJECT's cloud and phone side
 * (simulators/cloud/pass-issuer.ts) makes passes and rolling codes, and the Python program must
 * accept the good ones with the same subject, pass id and step, and refuse the bad ones with the
 * doc's contract codes. The doc's worked example is checked byte for byte on both sides.
 */

const PYTHON = '/usr/bin/python3';
const VERIFIER = join(import.meta.dirname, 'independent', 'verify_rolling_code.py');
const DOC = join(import.meta.dirname, '..', '..', 'docs', 'passes.md');

function pythonReady(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import cryptography, cbor2'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} lacks cryptography or cbor2: ${probe.stderr.trim().split('\n').pop()}`;
  return null;
}

const missing = pythonReady();
if (missing) {
  // Loud on purpose: this is the only check of the format that does not come from the project.
  console.warn(
    `\n*** SKIPPING the independent pass verifier: ${missing}.\n` +
      '*** apt-get install -y --no-install-recommends python3-cryptography python3-cbor2\n',
  );
}

interface PyResult {
  status: number | null;
  out: Record<string, unknown> & { ok: boolean; code?: string; check?: number; unverified?: boolean };
  stderr: string;
}

const STATION = 'hz-indep-0001';
const STATION_CODE = 'HZ1';
const GROUP = 'hangzhou-west';
const STEP = 5;
// A fixed "now", 2 s into a step, so nothing here depends on the wall clock or a step boundary.
const NOW_S = Math.floor(Date.UTC(2026, 11, 1, 20, 30, 0) / 1000 / STEP) * STEP + 2;
const NOW = new Date(NOW_S * 1000);
const S = stepAt(NOW);

let dir: ReturnType<typeof tempDir>;
let jwks: string;
let fleetA: IssuerKey;
let fleetB: IssuerKey;
let phone: PhoneKey;

interface PyOptions {
  jwks?: string;
  now?: number;
  /** Another station id, with no code and no groups; this file's station, code and group unless given. */
  station?: string;
}

function py(text: string, extra: string[] = [], opts: PyOptions = {}): PyResult {
  const station = opts.station
    ? ['--station', opts.station]
    : ['--station', STATION, '--station-code', STATION_CODE, '--group', GROUP];
  const args = [
    VERIFIER,
    '--jwks',
    opts.jwks ?? jwks,
    ...station,
    '--now',
    String(opts.now ?? NOW_S),
    ...extra,
  ];
  const run = spawnSync(PYTHON, args, { input: `${text}\n`, encoding: 'utf8', timeout: 20_000 });
  if (run.error) throw run.error;
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let out: PyResult['out'];
  try {
    out = JSON.parse(line) as PyResult['out'];
  } catch {
    throw new Error(`verifier printed no JSON line (status ${run.status}): ${run.stdout}\n${run.stderr}`);
  }
  return { status: run.status, out, stderr: run.stderr };
}

function expectRefused(r: PyResult, code: string, check?: number): void {
  expect(r.out, JSON.stringify(r.out)).toMatchObject({ ok: false, code });
  if (check !== undefined) expect(r.out.check, JSON.stringify(r.out)).toBe(check);
  expect(r.status).toBe(1);
}

function expectAccepted(r: PyResult): void {
  expect(r.out, `${JSON.stringify(r.out)}\n${r.stderr}`).toMatchObject({ ok: true });
  expect(r.status).toBe(0);
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const fixedCti = (n: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (i * 17 + n) & 0xff);

/** A pass with this file's defaults; a field given as undefined is left out (e.g. no stations). */
function pass(signer: PassSigner, over: { [K in keyof PassRequest]?: PassRequest[K] | undefined } = {}): Uint8Array {
  const request = {
    sub: 'w-indep-01',
    phoneKey: phone.publicKey,
    stations: [STATION],
    grants: [{ act: 'unlock', res: 'main-door' }, { act: 'swap', res: 'cabinet-1' }, { act: 'dispense' }],
    issuedAt: new Date((NOW_S - 3600) * 1000),
    ttlSeconds: 86_400,
    cti: fixedCti(1),
    ...over,
  };
  const given = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
  return issuePass(signer, given as unknown as PassRequest);
}

/** Uint8Array with one byte xored. */
function flip(bytes: Uint8Array, index: number, xor: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index] = copy[index]! ^ xor;
  return copy;
}

/** A rolling code text whose CBOR has one byte flipped. */
function withByte(bytes: Uint8Array, index: number, xor: number): string {
  return `RC1:${encodeBase45(flip(bytes, index, xor))}`;
}

describe.skipIf(missing !== null)('independent Python verifier (docs/passes.md) against the project issuer', () => {
  beforeAll(async () => {
    dir = tempDir('pass-independent-');
    jwks = join(dir.path, 'trusted-keys.json');
    fleetA = await generateIssuerKey('fleet-a');
    fleetB = await generateIssuerKey('fleet-b');
    writeTrustedKeys(jwks, [fleetA, fleetB]);
    phone = generatePhoneKey();
  });
  afterAll(() => dir?.remove());

  it('accepts the project’s codes with the same sub, pass id, step, act and res', () => {
    const cti = fixedCti(2);
    const p = pass(fleetA, { cti });
    const text = rollingCode(p, phone, { act: 'unlock', res: 'main-door', station: STATION, at: NOW });
    const r = py(text);
    expectAccepted(r);
    expect(r.out).toMatchObject({
      sub: 'w-indep-01',
      passId: b64u(cti),
      step: S,
      act: 'unlock',
      res: 'main-door',
      kid: 'fleet-a',
      iss: 'key:fleet-a',
      role: 'worker',
      iat: NOW_S - 3600,
      passExp: NOW_S - 3600 + 86_400,
      replayKey: `pass:${b64u(cti)}:${S}`,
      exp: (S + 2) * STEP,
      passBytes: p.length,
    });
    expect(r.out.grants).toEqual([
      ['unlock', 'main-door'],
      ['swap', 'cabinet-1'],
      ['dispense', null],
    ]);
  });

  it('accepts the other trusted key, a group pass, an operator with iss and nbf, station "", the station code', () => {
    const viaB = py(rollingCode(pass(fleetB), phone, { act: 'swap', res: 'cabinet-1', at: NOW }));
    expectAccepted(viaB);
    expect(viaB.out).toMatchObject({ kid: 'fleet-b', codeStation: '', act: 'swap', res: 'cabinet-1', step: S });

    const group = pass(fleetA, {
      stations: undefined,
      groups: [GROUP],
      role: 'operator',
      iss: 'https://cloud.example/fleet',
      notBefore: new Date((NOW_S - 60) * 1000),
      grants: [{ act: 'operate', res: null }],
      sub: '5b0c1e7a-3d2f-4b8e-9a61-0f2d3c4b5a69',
    });
    const g = py(rollingCode(group, phone, { act: 'operate', res: 'lights', station: STATION_CODE, at: NOW }));
    expectAccepted(g);
    expect(g.out).toMatchObject({
      role: 'operator',
      iss: 'https://cloud.example/fleet',
      groups: [GROUP],
      stations: [],
      passNbf: NOW_S - 60,
      codeStation: STATION_CODE,
      sub: '5b0c1e7a-3d2f-4b8e-9a61-0f2d3c4b5a69',
    });

    // The pass alone (checks 2 to 10), as hex.
    const alone = py(Buffer.from(group).toString('hex'), ['--pass-hex']);
    expectAccepted(alone);
    expect(alone.out).toMatchObject({ role: 'operator', kid: 'fleet-a' });
  });

  it('takes alg −19 (Ed25519, RFC 9864) as well as −8, and refuses any other alg before the key', () => {
    const request: PassRequest = {
      sub: 'w-indep-19',
      phoneKey: phone.publicKey,
      stations: [STATION],
      grants: [{ act: 'unlock', res: 'main-door' }],
      issuedAt: new Date((NOW_S - 60) * 1000),
    };
    const alg19 = signPayload(fleetA, passPayload(request), -19);
    const at19 = py(rollingCode(alg19, phone, { act: 'unlock', res: 'main-door', at: NOW }));
    expectAccepted(at19);
    expect(at19.out).toMatchObject({ sub: 'w-indep-19', kid: 'fleet-a' });
    const es256 = signPayload(fleetA, passPayload(request), -7);
    expectRefused(py(rollingCode(es256, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'BAD_TOKEN', 2);
  });

  it('takes steps S−1 and S+1, and refuses S−2 (a previous step) and S+2', () => {
    const p = pass(fleetA);
    const at = (step: number) => py(rollingCode(p, phone, { act: 'unlock', res: 'main-door', step }));
    expectAccepted(at(S - 1));
    expectAccepted(at(S + 1));
    expectRefused(at(S - 2), 'EXPIRED', 13);
    expectRefused(at(S - 100), 'EXPIRED', 13);
    expectRefused(at(S + 2), 'NOT_YET_VALID', 14);
    // The same code a step later on the station's clock is still in its window, two steps later not.
    const text = rollingCode(p, phone, { act: 'unlock', res: 'main-door', at: NOW });
    expectAccepted(py(text, [], { now: NOW_S + STEP }));
    expectRefused(py(text, [], { now: NOW_S + 2 * STEP }), 'EXPIRED', 13);
    // Replay is the station's state; given the key as used, the verifier refuses it.
    expectRefused(py(text, ['--used', `pass:${b64u(fixedCti(1))}:${S}`]), 'REPLAYED', 17);
  });

  it('refuses a forged phone signature: another phone’s key, and a flipped bit in the signature', () => {
    const p = pass(fleetA);
    const thief = generatePhoneKey();
    const other = py(rollingCode(p, thief, { act: 'unlock', res: 'main-door', station: STATION, at: NOW }));
    expectRefused(other, 'BAD_TOKEN', 11);
    expect(other.out.unverified).toBe(false); // after the cloud's signature: a real pass, a wrong phone
    expect(other.out.sub).toBe('w-indep-01');

    const bytes = rollingCodeBytes(p, phone, { act: 'unlock', res: 'main-door', station: STATION, at: NOW });
    expectAccepted(py(`RC1:${encodeBase45(bytes)}`));
    expectRefused(py(withByte(bytes, bytes.length - 1, 0x01)), 'BAD_TOKEN', 11);
    expectRefused(py(withByte(bytes, bytes.length - 40, 0x80)), 'BAD_TOKEN', 11);
    // The signed fields: the act byte sits just before res's head (0x69 = tstr(9) "main-door").
    const resAt = bytes.length - 64 - 2 - 'main-door'.length - 1;
    expect(bytes[resAt]).toBe(0x69);
    expect(bytes[resAt - 1]).toBe(0x00); // act 0, unlock
    expectRefused(py(withByte(bytes, resAt - 1, 0x01)), 'BAD_TOKEN', 11); // unlock → swap, not re-signed
  });

  it('refuses a forged pass signature: a stranger’s key under a trusted kid, and a flipped bit', async () => {
    const impostor = await generateIssuerKey('fleet-a');
    const forged = py(rollingCode(pass(impostor), phone, { act: 'unlock', res: 'main-door', at: NOW }));
    expectRefused(forged, 'BAD_TOKEN', 4);
    expect(forged.out.unverified).toBe(true);
    expect(forged.out.sub).toBeUndefined();

    const p = pass(fleetA);
    const tampered = flip(p, p.length - 1, 0x01); // the last byte of the cloud's signature
    expectRefused(py(rollingCode(tampered, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'BAD_TOKEN', 4);
    const subAt = Buffer.from(p).indexOf(Buffer.from('w-indep-01'));
    const claims = flip(p, subAt + 9, 0x01); // w-indep-01 → w-indep-00, a valid claim but not what was signed
    expectRefused(py(rollingCode(claims, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'BAD_TOKEN', 4);

    const unknown = await generateIssuerKey('fleet-z');
    const unknownKid = rollingCode(pass(unknown), phone, { act: 'unlock', res: 'main-door', at: NOW });
    expectRefused(py(unknownKid), 'UNKNOWN_KEY', 3);
  });

  it('refuses another station: the pass’s, and the code’s', () => {
    const elsewhere = pass(fleetA, { stations: ['hz-other-0002'] });
    expectRefused(py(rollingCode(elsewhere, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'WRONG_STATION', 7);
    const groupElsewhere = pass(fleetA, { stations: undefined, groups: ['ningbo-east'] });
    expectRefused(
      py(rollingCode(groupElsewhere, phone, { act: 'unlock', res: 'main-door', at: NOW })),
      'WRONG_STATION',
      7,
    );
    // A pass good at both stations, but a code the phone signed for the other one: relayed.
    const both = pass(fleetA, { stations: [STATION, 'hz-other-0002'] });
    const relayed = rollingCode(both, phone, { act: 'unlock', res: 'main-door', station: 'hz-other-0002', at: NOW });
    expectRefused(py(relayed), 'WRONG_STATION', 12);
  });

  it('refuses an expired pass, a pass not yet valid, a pass over 7 days, and an action not granted', () => {
    const expired = pass(fleetA, { issuedAt: new Date((NOW_S - 3 * 86_400) * 1000), ttlSeconds: 86_400 });
    expectRefused(py(rollingCode(expired, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'EXPIRED', 10);
    expectRefused(py(Buffer.from(expired).toString('hex'), ['--pass-hex']), 'EXPIRED', 10);
    const later = pass(fleetA, { issuedAt: new Date((NOW_S + 3600) * 1000) });
    expectRefused(py(rollingCode(later, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'NOT_YET_VALID', 9);
    const long = pass(fleetA, { ttlSeconds: 8 * 86_400 });
    expectRefused(py(rollingCode(long, phone, { act: 'unlock', res: 'main-door', at: NOW })), 'BAD_TOKEN', 6);
    const p = pass(fleetA);
    expectRefused(py(rollingCode(p, phone, { act: 'unlock', res: 'cabinet-1', at: NOW })), 'FORBIDDEN', 16);
    expectRefused(py(rollingCode(p, phone, { act: 'diagnose', res: 'main-door', at: NOW })), 'FORBIDDEN', 16);
    expectAccepted(py(rollingCode(p, phone, { act: 'dispense', res: 'anything-at-all', at: NOW })));
    // Clock policies (check 8): refuse, or untrusted with no trusted time ever seen.
    const ok = rollingCode(p, phone, { act: 'unlock', res: 'main-door', at: NOW });
    expectRefused(py(ok, ['--clock', 'refuse']), 'CLOCK_UNTRUSTED', 8);
    expectAccepted(py(ok, ['--clock', 'floor']));
    // On the floor policy "not yet" is not judged against the clock, only against the pass (check 15).
    const early = rollingCode(later, phone, { act: 'unlock', res: 'main-door', at: NOW });
    expectRefused(py(early, ['--clock', 'floor']), 'NOT_YET_VALID', 15);
  });

  it('refuses junk before any cryptography: prefix, base45, trailing bytes', () => {
    const p = pass(fleetA);
    const bytes = rollingCodeBytes(p, phone, { act: 'unlock', res: 'main-door', at: NOW });
    const text = `RC1:${encodeBase45(bytes)}`;
    expectRefused(py(text.replace('RC1:', 'RC2:')), 'BAD_TOKEN', 1);
    expectRefused(py(`${text}A`), 'BAD_TOKEN', 1); // length ≡ 1 (mod 3)
    expectRefused(py(`${text.slice(0, -1)}a`), 'BAD_TOKEN', 1); // outside the alphabet
    expectRefused(py(`RC1:${encodeBase45(Uint8Array.from([...bytes, 0x00]))}`), 'BAD_TOKEN', 1);
  });

  describe('the doc’s worked example, byte for byte', () => {
    const doc = readFileSync(DOC, 'utf8');
    /** The first fenced block after the line containing `marker`, its lines joined. */
    function blockAfter(marker: string): string {
      const at = doc.indexOf(marker);
      expect(at, `docs/passes.md has "${marker}"`).toBeGreaterThan(-1);
      const m = /```[^\n]*\n([\s\S]*?)\n```/.exec(doc.slice(at));
      if (!m) throw new Error(`no block after ${marker}`);
      return m[1]!;
    }
    const hexOf = (s: string) => s.replace(/\s+/g, '');
    const field = (name: string) => {
      const m = new RegExp(`^${name}\\s+([0-9a-f]{64})$`, 'm').exec(blockAfter('Seeds (hex)'));
      if (!m) throw new Error(`no ${name} in the doc`);
      return m[1]!;
    };
    const example = () => {
      const passHex = hexOf(blockAfter('The pass, 225 bytes'));
      const messageHex = hexOf(blockAfter('The phone signs ('));
      const text = blockAfter('its text, 489 characters');
      const sig = /the phone's signature\s*`([0-9a-f]{128})`/.exec(doc)?.[1];
      const sha = /SHA-256 of\s+the pass: `([0-9a-f]{64})`/.exec(doc)?.[1];
      const replay = /replay key `(pass:[A-Za-z0-9_-]+:\d+)`/.exec(doc)?.[1];
      return { passHex, messageHex, text, sig, sha, replay };
    };
    const fleetJwks = () => {
      const file = join(dir.path, 'example-keys.json');
      const x = Buffer.from(field('fleet x'), 'hex').toString('base64url');
      writeFileSync(file, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'fleet-2026-12', x }] }));
      return file;
    };

    it('Python reads the doc’s text as the doc says, and opens main-door at 1796155202', () => {
      const ex = example();
      expect(ex.sig && ex.sha && ex.replay, 'the doc gives sig, SHA-256 and replay key').toBeTruthy();
      expect(ex.text.length).toBe(489);
      expect(ex.text.split(' ').length - 1).toBe(3);
      const keys = fleetJwks();
      // The station in the example is demo-hz-0001; at this file's station the same code is refused.
      expectRefused(py(ex.text, [], { jwks: keys, now: 1796155202 }), 'WRONG_STATION', 7);
      const r = py(ex.text, ['--dump'], { jwks: keys, now: 1796155202, station: 'demo-hz-0001' });
      expectAccepted(r);
      const out = r.out;
      expect(out).toMatchObject({
        ok: true,
        passHex: ex.passHex,
        passBytes: 225,
        codeBytes: 323,
        sigStructureBytes: 170,
        passSha256: ex.sha,
        phoneMessageHex: ex.messageHex,
        phoneSigHex: ex.sig,
        step: 359231040,
        sub: 'w-5f3c9a1e',
        iat: 1796151600,
        passExp: 1796151600 + 86_400,
        ctiHex: '0123456789abcdef0123456789abcdef',
        stations: ['demo-hz-0001'],
        grants: [
          ['unlock', 'main-door'],
          ['swap', 'cabinet-1'],
          ['dispense', null],
        ],
        act: 'unlock',
        res: 'main-door',
        kid: 'fleet-2026-12',
        replayKey: ex.replay,
      });
      // "The rolling code is `86 58 e1 <pass> 1a 15696e40 6c "demo-hz-0001" 00 69 "main-door" 58 40 <sig>`"
      const ascii = (t: string) => Buffer.from(t).toString('hex');
      expect(out.codeHex).toBe(
        `8658e1${ex.passHex}1a15696e406c${ascii('demo-hz-0001')}0069${ascii('main-door')}5840${ex.sig}`,
      );
      // The doc's count ("The phone signs (97 bytes)"), its hex and what is signed agree.
      expect(readFileSync(DOC, 'utf8')).toContain('The phone signs (97 bytes):');
      expect(ex.messageHex.length / 2).toBe(97);
      expect(out.phoneMessageBytes).toBe(97);
    });

    it('the project issuer, given the RFC 8032 keys, makes exactly the doc’s pass and text', () => {
      const ex = example();
      const key = (seed: string, x: string) =>
        createPrivateKey({
          key: {
            kty: 'OKP',
            crv: 'Ed25519',
            d: Buffer.from(field(seed), 'hex').toString('base64url'),
            x: Buffer.from(field(x), 'hex').toString('base64url'),
          },
          format: 'jwk',
        });
      const signer: PassSigner = { kid: 'fleet-2026-12', privateKey: key('fleet seed', 'fleet x') };
      const p = issuePass(signer, {
        sub: 'w-5f3c9a1e',
        phoneKey: Buffer.from(field('phone x'), 'hex'),
        stations: ['demo-hz-0001'],
        grants: [
          { act: 'unlock', res: 'main-door' },
          { act: 'swap', res: 'cabinet-1' },
          { act: 'dispense', res: null },
        ],
        issuedAt: new Date(1796151600 * 1000),
        ttlSeconds: 86_400,
        cti: Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
      });
      expect(Buffer.from(p).toString('hex')).toBe(ex.passHex);
      const text = rollingCode(
        p,
        { privateKey: key('phone seed', 'phone x') },
        { act: 'unlock', res: 'main-door', station: 'demo-hz-0001', at: new Date(1796155202 * 1000) },
      );
      expect(text).toBe(ex.text);
    });
  });
});
