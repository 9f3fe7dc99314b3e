import { dbAdd, dbGet } from './phone-db.js';

/*
 * The phone's own Ed25519 key pair, made in the browser on the first visit and kept in IndexedDB.
 * The private key is made non-extractable: no script on this page (nor one injected into it) can
 * read its bytes, only ask the browser to sign with it. The public key is always exportable
 * (WebCrypto makes public halves extractable) and is what the enrolment desk issues a pass for.
 */

export interface PhoneKey {
  privateKey: CryptoKey;
  /** The raw 32-byte public key: the pass's cnf x. */
  publicRaw: Uint8Array;
  createdAt: number;
}

const RECORD = 'phone';

export class NoEd25519 extends Error {
  constructor(cause: unknown) {
    super(`this browser cannot make an Ed25519 key in WebCrypto: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'NoEd25519';
  }
}

/** The stored key, or a new one stored first; two tabs opening at once end up with the same key. */
export async function loadOrCreateKey(db: IDBDatabase, now = Date.now()): Promise<{ key: PhoneKey; created: boolean }> {
  const stored = await dbGet<PhoneKey>(db, 'keys', RECORD);
  if (stored) return { key: stored, created: false };
  let pair: CryptoKeyPair;
  try {
    pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  } catch (err) {
    throw new NoEd25519(err);
  }
  const key: PhoneKey = { privateKey: pair.privateKey, publicRaw: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)), createdAt: now };
  try {
    await dbAdd(db, 'keys', RECORD, key);
  } catch (err) {
    // Another tab stored its key first: that one is the phone's.
    if ((err as DOMException).name !== 'ConstraintError') throw err;
    const first = await dbGet<PhoneKey>(db, 'keys', RECORD);
    if (!first) throw err;
    return { key: first, created: false };
  }
  // Ask the browser not to evict the key under storage pressure; it may say no, and that is shown.
  await navigator.storage?.persist?.().catch(() => false);
  return { key, created: true };
}

export function signerFor(key: PhoneKey): (message: Uint8Array) => Promise<Uint8Array> {
  return async (message) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message as Uint8Array<ArrayBuffer>));
}
