import { decode, type DecodeOptions } from 'cborg';
import { sameBytes } from './base64url.js';

/*
 * What the phone reads of its pass (docs/passes.md, "The pass"): enough to show the worker what it
 * opens and until when, and to refuse a pass made for another phone before storing it. The phone
 * does not check the cloud's signature (it holds no fleet keys; the station does that); it carries
 * the pass byte for byte as the cloud signed it.
 */

export const MAX_PASS_BYTES = 800;

export interface Grant {
  /** The format's action number: 0 unlock, 1 swap, 2 dispense, 3 operate, 4 diagnose. */
  act: number;
  /** null: any resource of the station that does the action (the worker names it). */
  res: string | null;
}

export interface PassSummary {
  sub: string;
  iss: string | undefined;
  role: 'worker' | 'operator';
  stations: string[];
  groups: string[];
  /** Seconds since 1970. */
  iat: number;
  nbf: number;
  exp: number;
  kid: string;
  /** The raw Ed25519 key the pass binds (its cnf x). */
  phoneKey: Uint8Array;
  grants: Grant[];
}

export type PassProblem = 'unreadable' | 'too-large' | 'other-phone' | 'expired';

/** Why the page will not take a pass; the page words it in the worker's language. */
export class PassRefused extends Error {
  constructor(
    readonly problem: PassProblem,
    detail: string,
  ) {
    super(detail);
    this.name = 'PassRefused';
  }
}

const STRICT: DecodeOptions = { strict: true, useMaps: true, rejectDuplicateMapKeys: true, allowIndefinite: false, allowUndefined: false, allowBigInt: false };

const ACCESS_CLAIM = -65537;

export function readPass(bytes: Uint8Array): PassSummary {
  if (bytes.length > MAX_PASS_BYTES) throw new PassRefused('too-large', `${bytes.length} bytes, at most ${MAX_PASS_BYTES}`);
  try {
    return readClaims(bytes);
  } catch (err) {
    if (err instanceof PassRefused) throw err;
    throw new PassRefused('unreadable', (err as Error).message);
  }
}

/** Refuses a pass that is not for this phone's key or has run out; returns what it says. */
export function checkPassForPhone(bytes: Uint8Array, ownKey: Uint8Array, nowSeconds: number): PassSummary {
  const pass = readPass(bytes);
  if (!sameBytes(pass.phoneKey, ownKey)) throw new PassRefused('other-phone', 'the pass binds another key than this phone\'s');
  if (pass.exp <= nowSeconds) throw new PassRefused('expired', `expired at ${new Date(pass.exp * 1000).toISOString()}`);
  return pass;
}

function readClaims(bytes: Uint8Array): PassSummary {
  const sign1 = decode(bytes, STRICT) as unknown;
  if (!Array.isArray(sign1) || sign1.length !== 4) throw new Error('not a COSE_Sign1 array of 4');
  const [protectedBytes, , payload, signature] = sign1 as unknown[];
  const header = map(decode(bytesOf(protectedBytes, 'protected header'), STRICT), 'protected header');
  const kid = new TextDecoder('utf-8', { fatal: true }).decode(bytesOf(header.get(4), 'kid'));
  if (bytesOf(signature, 'signature').length !== 64) throw new Error('the signature is not 64 bytes');
  const claims = map(decode(bytesOf(payload, 'payload'), STRICT), 'claims');
  const cnf = map(map(claims.get(8), 'cnf').get(1), 'cnf key');
  const phoneKey = bytesOf(cnf.get(-2), 'cnf x');
  if (cnf.get(1) !== 1 || cnf.get(-1) !== 6 || phoneKey.length !== 32) throw new Error('cnf is not an Ed25519 key');
  const access = map(claims.get(ACCESS_CLAIM), 'access');
  const iat = uint(claims.get(6), 'iat');
  const grants = list(access.get(4), 'grants').map((g): Grant => {
    if (!Array.isArray(g) || g.length !== 2) throw new Error('a grant is not [act, res]');
    const [act, res] = g as unknown[];
    if (res !== null && typeof res !== 'string') throw new Error('a grant\'s resource is not text or null');
    return { act: uint(act, 'act'), res };
  });
  const role = access.get(1);
  return {
    sub: text(claims.get(2), 'sub'),
    iss: claims.has(1) ? text(claims.get(1), 'iss') : undefined,
    role: role === 1 ? 'operator' : 'worker',
    stations: access.has(2) ? list(access.get(2), 'stations').map((s) => text(s, 'station')) : [],
    groups: access.has(3) ? list(access.get(3), 'groups').map((s) => text(s, 'group')) : [],
    iat,
    nbf: claims.has(5) ? uint(claims.get(5), 'nbf') : iat,
    exp: uint(claims.get(4), 'exp'),
    kid,
    phoneKey,
    grants,
  };
}

function map(v: unknown, what: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) throw new Error(`${what} is not a map`);
  return v;
}
function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${what} is not a list`);
  return v;
}
function bytesOf(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new Error(`${what} is not a byte string`);
  return v;
}
function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new Error(`${what} is not text`);
  return v;
}
function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${what} is not a whole number`);
  return v;
}
