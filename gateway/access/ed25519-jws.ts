import { KeyObject, verify } from 'node:crypto';
import type { CryptoKey } from 'jose';

/** A compact JWS that cannot be checked at all: not three base64url parts, a header that is not an object, `crit`. */
export class MalformedJws extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedJws';
  }
}

const PART = /^[A-Za-z0-9_-]+$/;

/** Each trusted key as node:crypto takes it, made once per key (a reload brings new keys, and these go with the old). */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObjectOf(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

/**
 * Verifies an Ed25519 compact JWS (RFC 7515 §7.1, RFC 8037) against `key` in the calling tick, with
 * node:crypto, as passes are verified (pass/cose-sign1.ts). jose's compactVerify goes through
 * WebCrypto, whose every verify is a job on libuv's thread pool, queued there behind the serial
 * port's reads and writes, and answered a turn of the event loop later: under load that was most of
 * an unlock's verification time, for a check of 0.1 ms. Returns the payload's bytes, or undefined when the signature
 * does not verify. The algorithm and `kid` are the caller's to have checked; a header with `crit`
 * is refused (the contract's tokens have none, and no extension is understood here).
 */
export function verifyEd25519Jws(token: string, key: CryptoKey): Uint8Array | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new MalformedJws('not a JWS in compact form');
  const [header, payload, signature] = parts as [string, string, string];
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    throw new MalformedJws('the protected header is not JSON');
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw new MalformedJws('the protected header is not a JSON object');
  if ('crit' in fields) throw new MalformedJws('the protected header names extensions (crit) this station does not understand');
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(`${header}.${payload}`, 'ascii'), keyObjectOf(key), Buffer.from(signature, 'base64url'));
  } catch {
    throw new MalformedJws('the signature cannot be checked');
  }
  return valid ? new Uint8Array(Buffer.from(payload, 'base64url')) : undefined;
}
