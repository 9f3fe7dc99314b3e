import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importJWK, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../../config/package-root.js';
import { parseRollingCode, phoneMessage } from '../../../../gateway/access/pass/rolling-code.js';
import { verifyRollingCode } from '../../../../gateway/access/pass/rolling-code-verifier.js';
import { issuePass, rollingCode } from '../../../../simulators/cloud/pass-issuer.js';

/*
 * The worked example of docs/passes.md, from fixed keys: Ed25519 signs deterministically, so the
 * same keys and claims give the same bytes. The issuer must make exactly the doc's bytes, the
 * verifier must take them, and the doc must show them: an independent verifier starts from these.
 */

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const ed25519 = (seed: string): { privateKey: KeyObject; publicKey: KeyObject } => {
  // PKCS#8 for an Ed25519 seed (RFC 8410): a fixed 16-byte prefix, then the 32 bytes.
  const privateKey = createPrivateKey({ key: Buffer.concat([hex('302e020100300506032b657004220420'), hex(seed)]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
};
const x = (key: KeyObject): Uint8Array => new Uint8Array(Buffer.from(String(key.export({ format: 'jwk' }).x), 'base64url'));

const VECTOR = {
  fleetSeed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  phoneSeed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  kid: 'fleet-2026-12',
  cti: '0123456789abcdef0123456789abcdef',
  iat: 1796151600,
  at: 1796155202,
};

describe('the worked example in docs/passes.md', () => {
  const fleet = ed25519(VECTOR.fleetSeed);
  const phone = ed25519(VECTOR.phoneSeed);
  const pass = issuePass(
    { kid: VECTOR.kid, privateKey: fleet.privateKey },
    {
      sub: 'w-5f3c9a1e',
      phoneKey: x(phone.publicKey),
      stations: ['demo-hz-0001'],
      grants: [{ act: 'unlock', res: 'main-door' }, { act: 'swap', res: 'cabinet-1' }, { act: 'dispense' }],
      issuedAt: new Date(VECTOR.iat * 1000),
      ttlSeconds: 86400,
      cti: new Uint8Array(hex(VECTOR.cti)),
    },
  );
  const code = rollingCode(pass, phone, { act: 'unlock', res: 'main-door', station: 'demo-hz-0001', at: new Date(VECTOR.at * 1000) });

  it('is what the issuer makes, the verifier takes, and the doc shows', async () => {
    const keys = new Map<string, CryptoKey>([[VECTOR.kid, (await importJWK({ ...fleet.publicKey.export({ format: 'jwk' }), alg: 'EdDSA' }, 'EdDSA')) as CryptoKey]]);
    const now = new Date(VECTOR.at * 1000);
    const verified = verifyRollingCode(code, { now, trusted: true, reason: 'system', floor: now }, { keys, stationId: 'demo-hz-0001', skewSeconds: 60, untrustedClock: 'floor', seen: () => false });
    expect(verified.replayKey).toBe('pass:ASNFZ4mrze8BI0VniavN7w:359231040');
    const doc = readFileSync(join(packageRoot(), 'docs', 'passes.md'), 'utf8');
    if (process.env['PRINT_PASS_VECTOR'] === '1') console.log(`pass hex: ${Buffer.from(pass).toString('hex')}\nrolling code: ${code}\nfleet x: ${Buffer.from(x(fleet.publicKey)).toString('hex')}\nphone x: ${Buffer.from(x(phone.publicKey)).toString('hex')}`);
    // The hex is broken into lines on the page; the text is not (its spaces are base45's own).
    expect(doc.replace(/\s+/g, '')).toContain(Buffer.from(pass).toString('hex'));
    expect(doc).toContain(`\n${code}\n`);
    // What the phone signed, and its signature, as the page gives them.
    const parsed = parseRollingCode(code);
    expect(doc.replace(/\s+/g, '')).toContain(Buffer.from(phoneMessage(parsed)).toString('hex'));
    expect(doc).toContain(Buffer.from(parsed.signature).toString('hex'));
  });
});
