import fc from 'fast-check';
import { SignJWT, importJWK, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_ERROR_CODES } from '../../cloud-bridge/contract-schemas.js';
import { AccessDenied } from '../../gateway/access/access-error.js';
import type { ClockReading } from '../../gateway/access/clock-trust.js';
import { TokenVerifier, type AccessClaims } from '../../gateway/access/token-verifier.js';
import { generateIssuerKey, issueToken, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { PROPERTY_TIMEOUT_MS, settings } from './fuzz-settings.js';

/*
 * Access tokens under attack: arbitrary strings and every small change to a real token (a flipped
 * byte in any segment, segments reordered, claims swapped and re-encoded, a forged signature under
 * a trusted kid, another algorithm). The verifier throws AccessDenied with a contract code and
 * grants nothing the issuer did not sign.
 */

const STATION = 'st-fuzz-1';
const NOW = new Date('2026-06-01T02:00:00.000Z');
const CLOCK: ClockReading = { now: NOW, trusted: true, reason: 'system', floor: NOW };

let issuer: IssuerKey;
let impostor: IssuerKey;
let verifier: TokenVerifier;
let token: string;
let granted: AccessClaims;

beforeAll(async () => {
  issuer = await generateIssuerKey('k1');
  const other = await generateIssuerKey('k2');
  // Another key that claims the trusted kid: what a forger without the private key can do best.
  impostor = await generateIssuerKey('k1');
  const keys = new Map<string, CryptoKey>([
    ['k1', (await importJWK(issuer.publicJwk, 'EdDSA')) as CryptoKey],
    ['k2', (await importJWK(other.publicJwk, 'EdDSA')) as CryptoKey],
  ]);
  verifier = new TokenVerifier({ stationId: STATION, keys, maxTokenSeconds: 300, skewSeconds: 60, untrustedClock: 'floor' });
  token = await issueToken(issuer, { station: STATION, res: 'main-door', act: 'unlock', issuedAt: NOW, ttlSeconds: 120, jti: 'jti-fuzz-1' });
  granted = await verifier.verify(token, CLOCK);
});

type Outcome = { granted: AccessClaims } | { code: string };

async function verify(candidate: string, clock: ClockReading = CLOCK): Promise<Outcome> {
  try {
    return { granted: await verifier.verify(candidate, clock) };
  } catch (err) {
    // Anything but AccessDenied is a crash of the access path.
    expect(err).toBeInstanceOf(AccessDenied);
    const code = (err as AccessDenied).code;
    expect(COMMAND_ERROR_CODES).toContain(code);
    return { code };
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const segments = (): [string, string, string] => token.split('.') as [string, string, string];
const header = (): Record<string, unknown> => JSON.parse(Buffer.from(segments()[0], 'base64url').toString()) as Record<string, unknown>;
const claims = (): Record<string, unknown> => JSON.parse(Buffer.from(segments()[1], 'base64url').toString()) as Record<string, unknown>;

describe('TokenVerifier', () => {
  it('grants the untouched token (the baseline the mutations start from)', () => {
    expect(granted).toMatchObject({ res: 'main-door', act: 'unlock', jti: 'jti-fuzz-1', kid: 'k1' });
  });

  it(
    'arbitrary strings: AccessDenied with a contract code, never a grant',
    async () => {
      const seg = fc.string({ unit: fc.constantFrom(...B64URL.split('')), maxLength: 40 });
      const text = fc.oneof(
        fc.string({ maxLength: 120, unit: 'binary' }),
        fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.join('.')),
        fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), seg).map(([h, p, s]) => `${b64(h)}.${b64(p)}.${s}`),
        fc.tuple(fc.record({ alg: fc.constantFrom('EdDSA', 'Ed25519', 'none', 'HS256', 'RS256'), kid: fc.constantFrom('k1', 'k2', 'k3', ''), crit: fc.constant(['exp']), b64: fc.boolean() }, { requiredKeys: ['alg'] }), fc.jsonValue({ maxDepth: 2 }), seg).map(
          ([h, p, s]) => `${b64(h)}.${b64(p)}.${s}`,
        ),
      );
      await fc.assert(
        fc.asyncProperty(text, async (candidate) => {
          expect(await verify(candidate)).toHaveProperty('code');
        }),
        settings(300, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'a byte flipped anywhere: refused, unless only the signature\'s unused base64url bits changed (then the same grant)',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
          const bytes = Buffer.from(token, 'latin1');
          const i = at % bytes.length;
          bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
          const mutated = bytes.toString('latin1');
          const outcome = await verify(mutated);
          if ('granted' in outcome) {
            // Base64url's last character carries padding bits that decode to the same signature:
            // the signed header and claims are the issuer's, byte for byte.
            const [h, p] = mutated.split('.');
            expect(`${h}.${p}`).toBe(segments().slice(0, 2).join('.'));
            expect(outcome.granted).toEqual(granted);
          }
        }),
        settings(600, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'segments reordered, dropped or doubled: refused',
    async () => {
      const shapes = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 0, maxLength: 5 }).filter((order) => order.join() !== '0,1,2');
      await fc.assert(
        fc.asyncProperty(shapes, fc.boolean(), async (order, trailingDot) => {
          const s = segments();
          const candidate = order.map((i) => s[i]).join('.') + (trailingDot ? '.' : '');
          expect(await verify(candidate)).toHaveProperty('code');
        }),
        settings(200, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'claims swapped or re-encoded under the issuer\'s signature, or re-signed by an impostor under a trusted kid: refused',
    async () => {
      const claimChange = fc.oneof(
        fc.record({ aud: fc.constantFrom('st-other', [STATION, 'st-other'], [STATION]) }),
        fc.record({ res: fc.constantFrom('first-aid', 'cabinet-1', '') }),
        fc.record({ act: fc.constantFrom('swap', 'dispense', 'operate', 'admin') }),
        fc.record({ role: fc.constantFrom('operator', 'root') }),
        fc.record({ exp: fc.integer({ min: 0, max: 2 ** 40 }) }),
        fc.record({ iat: fc.integer({ min: -1, max: 2 ** 40 }) }),
        fc.record({ jti: fc.string({ maxLength: 10 }) }),
        fc.record({ sub: fc.jsonValue({ maxDepth: 1 }) }),
        fc.constant({}),
      );
      const attack = fc.constantFrom('keep-signature', 'impostor-signature', 'alg-none', 'other-kid');
      await fc.assert(
        fc.asyncProperty(claimChange, attack, fc.boolean(), async (change, how, reorderKeys) => {
          const c = { ...claims(), ...change };
          const body = reorderKeys ? Object.fromEntries(Object.entries(c).reverse()) : c;
          let candidate: string;
          switch (how) {
            case 'keep-signature': {
              const [h, p, sig] = segments();
              // The very same claims re-encoded byte for byte would be the original token: skip that.
              if (b64(body) === p) return;
              candidate = `${h}.${b64(body)}.${sig}`;
              break;
            }
            case 'impostor-signature':
              candidate = await new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).sign(impostor.privateKey);
              break;
            case 'alg-none':
              candidate = `${b64({ ...header(), alg: 'none' })}.${b64(body)}.`;
              break;
            case 'other-kid': {
              const [, p, sig] = segments();
              candidate = `${b64({ ...header(), kid: 'k2' })}.${p}.${sig}`;
              break;
            }
          }
          const outcome = await verify(candidate);
          expect(outcome).toHaveProperty('code');
        }),
        settings(300, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
