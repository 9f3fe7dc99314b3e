import { KeyObject, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import type { CryptoKey } from 'jose';

/*
 * The cloud's side of worker passes and the phone's side of rolling codes, for the tests, the demo
 * and benches (docs/passes.md). Written from the doc, apart from the station's verifier
 * (gateway/access/pass/): the simulators may not import the gateway, and two implementations that
 * must agree catch what one checked against itself would not.
 */

/** Claim keys and codes as docs/passes.md gives them. */
const CWT = { iss: 1, sub: 2, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8 } as const;
const ACCESS_CLAIM = -65537;
const ACTIONS = ['unlock', 'swap', 'dispense', 'operate', 'diagnose'] as const;
const ROLES = ['worker', 'operator'] as const;
const PHONE_CONTEXT = 'station-gateway rolling code v1';
const PREFIX = 'RC1:';
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
export const PASS_STEP_SECONDS = 5;

export type PassAction = (typeof ACTIONS)[number];

/** The cloud's signing key: an access key of the fleet, the same a token is signed with. */
export interface PassSigner {
  kid: string;
  privateKey: CryptoKey | KeyObject;
}

/** A phone's own key pair, made on the phone; the pass binds its public half. */
export interface PhoneKey {
  privateKey: KeyObject;
  /** The raw 32-byte Ed25519 public key (the JWK's `x`). */
  publicKey: Uint8Array;
}

export function generatePhoneKey(): PhoneKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: new Uint8Array(Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url')) };
}

export interface PassRequest {
  sub: string;
  phoneKey: Uint8Array;
  stations?: readonly string[];
  groups?: readonly string[];
  /** `res` null or left out: any resource of the station that does the action. */
  grants: ReadonlyArray<{ act: PassAction; res?: string | null }>;
  role?: 'worker' | 'operator';
  /** Seconds from the issue time (or nbf) to exp; a day unless said. */
  ttlSeconds?: number;
  issuedAt?: Date;
  notBefore?: Date;
  cti?: Uint8Array;
  iss?: string;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const cbor = (value: unknown): Uint8Array => encode(value, rfc8949EncodeOptions);

/** The CWT claims of a pass as a CBOR map, before signing. */
export function passPayload(request: PassRequest): Uint8Array {
  const iat = seconds(request.issuedAt ?? new Date());
  const nbf = request.notBefore ? seconds(request.notBefore) : undefined;
  const access = new Map<number, unknown>();
  if (request.role && request.role !== 'worker') access.set(1, ROLES.indexOf(request.role));
  if (request.stations?.length) access.set(2, [...request.stations]);
  if (request.groups?.length) access.set(3, [...request.groups]);
  access.set(4, request.grants.map((g) => [ACTIONS.indexOf(g.act), g.res ?? null]));
  const claims = new Map<number, unknown>();
  if (request.iss !== undefined) claims.set(CWT.iss, request.iss);
  claims.set(CWT.sub, request.sub);
  claims.set(CWT.exp, (nbf ?? iat) + (request.ttlSeconds ?? 24 * 3600));
  if (nbf !== undefined) claims.set(CWT.nbf, nbf);
  claims.set(CWT.iat, iat);
  claims.set(CWT.cti, request.cti ?? new Uint8Array(randomBytes(16)));
  claims.set(CWT.cnf, new Map([[1, new Map<number, unknown>([[1, 1], [-1, 6], [-2, request.phoneKey]])]]));
  claims.set(ACCESS_CLAIM, access);
  return cbor(claims);
}

/** Any payload as an untagged COSE_Sign1 with EdDSA and the kid protected: the pass's envelope. */
export function signPayload(signer: PassSigner, payload: Uint8Array, alg = -8): Uint8Array {
  const protectedBytes = cbor(new Map<number, unknown>([[1, alg], [4, new TextEncoder().encode(signer.kid)]]));
  const toSign = cbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const key = signer.privateKey instanceof KeyObject ? signer.privateKey : KeyObject.from(signer.privateKey);
  return cbor([protectedBytes, new Map(), payload, new Uint8Array(sign(null, toSign, key))]);
}

/** A pass for a phone's public key, as the cloud would hand it to the phone while it is online. */
export function issuePass(signer: PassSigner, request: PassRequest): Uint8Array {
  return signPayload(signer, passPayload(request));
}

export function stepAt(at: Date, stepSeconds = PASS_STEP_SECONDS): number {
  return Math.floor(at.getTime() / 1000 / stepSeconds);
}

export interface CodeRequest {
  act: PassAction;
  res: string;
  /** The station's code where the phone knows it; '' or left out where it does not. */
  station?: string;
  /** The step to make the code for; the one `at` (default now) falls in unless given. */
  step?: number;
  at?: Date;
}

/** The phone's part: what it shows as a QR code during one time step. */
export function rollingCode(pass: Uint8Array, phone: Pick<PhoneKey, 'privateKey'>, request: CodeRequest): string {
  return `${PREFIX}${encodeBase45(rollingCodeBytes(pass, phone, request))}`;
}

export function rollingCodeBytes(pass: Uint8Array, phone: Pick<PhoneKey, 'privateKey'>, request: CodeRequest): Uint8Array {
  const step = request.step ?? stepAt(request.at ?? new Date());
  const station = request.station ?? '';
  const act = ACTIONS.indexOf(request.act);
  const passHash = new Uint8Array(createHash('sha256').update(pass).digest());
  const signature = sign(null, cbor([PHONE_CONTEXT, passHash, step, station, act, request.res]), phone.privateKey);
  return cbor([pass, step, station, act, request.res, new Uint8Array(signature)]);
}

/** RFC 9285: two bytes to three characters, least significant first; a last odd byte to two. */
export function encodeBase45(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = (bytes[i]! << 8) | bytes[i + 1]!;
      for (let k = 0; k < 3; k++, n = Math.floor(n / 45)) out.push(BASE45[n % 45]!);
    } else {
      const n = bytes[i]!;
      out.push(BASE45[n % 45]!, BASE45[Math.floor(n / 45)]!);
    }
  }
  return out.join('');
}

/** What a pass says, read back for a person (`station-token pass` and `code`); not a verification. */
export interface PassSummary {
  kid: string;
  sub: string;
  role: 'worker' | 'operator';
  iat: number;
  exp: number;
  nbf?: number;
  stations: string[];
  groups: string[];
  grants: Array<{ act: PassAction; res: string | null }>;
  /** The phone's raw Ed25519 public key from `cnf`. */
  phoneKey: Uint8Array;
  bytes: number;
}

/**
 * Reads a pass this module (or the cloud) made, so a bench tool can say what it holds and catch a
 * pass paired with the wrong phone key before a scanner does. It checks no signature: the station
 * does that; a pass this cannot read is refused with what is wrong.
 */
export function describePass(pass: Uint8Array): PassSummary {
  const fail = (what: string): never => {
    throw new Error(`not a pass (${what}); a pass is the base64url of a COSE_Sign1 (docs/passes.md)`);
  };
  let sign1: unknown;
  try {
    sign1 = decode(pass, { useMaps: true });
  } catch (err) {
    return fail((err as Error).message);
  }
  if (!Array.isArray(sign1) || sign1.length !== 4 || !(sign1[0] instanceof Uint8Array) || !(sign1[2] instanceof Uint8Array)) return fail('not a COSE_Sign1 array');
  const header = decode(sign1[0], { useMaps: true }) as unknown;
  const claims = decode(sign1[2], { useMaps: true }) as unknown;
  if (!(header instanceof Map) || !(claims instanceof Map)) return fail('header or claims not a map');
  const kid = header.get(4);
  const access = claims.get(ACCESS_CLAIM) as unknown;
  const cnf = claims.get(CWT.cnf) as unknown;
  const coseKey = cnf instanceof Map ? (cnf.get(1) as unknown) : undefined;
  const phoneKey = coseKey instanceof Map ? (coseKey.get(-2) as unknown) : undefined;
  const sub = claims.get(CWT.sub) as unknown;
  const iat = claims.get(CWT.iat) as unknown;
  const exp = claims.get(CWT.exp) as unknown;
  const nbf = claims.get(CWT.nbf) as unknown;
  if (!(kid instanceof Uint8Array) || !(access instanceof Map) || !(phoneKey instanceof Uint8Array)) return fail('kid, access or cnf missing');
  if (typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return fail('sub, iat or exp missing');
  const grants = (access.get(4) as unknown[] | undefined) ?? [];
  return {
    kid: new TextDecoder().decode(kid),
    sub,
    role: ROLES[(access.get(1) as number | undefined) ?? 0] ?? 'worker',
    iat,
    exp,
    ...(typeof nbf === 'number' ? { nbf } : {}),
    stations: (access.get(2) as string[] | undefined) ?? [],
    groups: (access.get(3) as string[] | undefined) ?? [],
    grants: grants.map((g) => {
      const [act, res] = g as [number, string | null];
      return { act: ACTIONS[act] ?? ('unknown' as PassAction), res };
    }),
    phoneKey,
    bytes: pass.length,
  };
}

export const PASS_ACTIONS: readonly PassAction[] = ACTIONS;

/** A rolling code's bytes as the text the phone shows (`RC1:` + base45). */
export function rollingCodeText(bytes: Uint8Array): string {
  return `${PREFIX}${encodeBase45(bytes)}`;
}
