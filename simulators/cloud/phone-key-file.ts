import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../config/usage-error.js';
import { generatePhoneKey, type PhoneKey } from './pass-issuer.js';

/*
 * A bench phone's key pair on disk. A real phone makes its key in the browser and never lets it
 * out; a bench crew needs one it can hand to `station-token code`, so it is a private JWK file
 * (mode 0600), the same form as the issuer's key, which any JOSE library reads.
 */

/** An Ed25519 public key as base64url: 32 bytes are 43 characters, unpadded. */
const PUBLIC_B64URL = /^[A-Za-z0-9_-]{43}$/;

export interface PhoneKeyFile {
  file: string;
  /** The raw public key, base64url: what `station-token pass --phone-key` takes. */
  publicKey: string;
}

export function writePhoneKeyFile(file: string): PhoneKeyFile {
  const key = generatePhoneKey();
  const jwk = key.privateKey.export({ format: 'jwk' });
  writeFileSync(file, `${JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d, use: 'sig', alg: 'EdDSA' })}\n`, { mode: 0o600 });
  return { file, publicKey: Buffer.from(key.publicKey).toString('base64url') };
}

function readJwk(file: string): Record<string, unknown> {
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a JWK file (${(err as Error).message})`);
  }
  if (typeof jwk !== 'object' || jwk === null || (jwk as Record<string, unknown>)['kty'] !== 'OKP' || (jwk as Record<string, unknown>)['crv'] !== 'Ed25519') {
    throw new Error(`${file}: not an Ed25519 JWK (kty OKP, crv Ed25519)`);
  }
  return jwk as Record<string, unknown>;
}

const rawPublic = (key: KeyObject): Uint8Array => new Uint8Array(Buffer.from(String(key.export({ format: 'jwk' }).x), 'base64url'));

/** The phone's private key, to sign rolling codes with. */
export function readPhoneKeyFile(file: string): PhoneKey {
  const jwk = readJwk(file);
  if (typeof jwk['d'] !== 'string') throw new Error(`${file}: a public key only; signing codes needs the phone's private key file`);
  // The public half is derived from `d`, not taken from `x`: a file whose x was edited must not
  // make codes that the pass's key cannot check without the tool saying so.
  const privateKey = createPrivateKey({ key: jwk as { kty: string }, format: 'jwk' });
  return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
}

/**
 * `--phone-key`: the public key as base64url (what the phone page shows, or `phone-key` printed),
 * or a JWK file holding it (public or private).
 */
export function readPhonePublicKey(value: string): Uint8Array {
  if (PUBLIC_B64URL.test(value) && !existsSync(value)) {
    const raw = Buffer.from(value, 'base64url');
    if (raw.length === 32 && raw.toString('base64url') === value) return new Uint8Array(raw);
  }
  if (!existsSync(value)) throw new UsageError(`--phone-key "${value}": neither a 43-character base64url Ed25519 public key nor a file`);
  const jwk = readJwk(value);
  if (typeof jwk['d'] === 'string') return readPhoneKeyFile(value).publicKey;
  return rawPublic(createPublicKey({ key: jwk as { kty: string }, format: 'jwk' }));
}
