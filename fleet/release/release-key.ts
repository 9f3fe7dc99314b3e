import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyncedFile } from '../../config/durable-write.js';
import { UsageError } from '../../config/usage-error.js';

export const RELEASE_PRIVATE_KEY_FILE = 'release.private.pem';
export const RELEASE_PUBLIC_KEY_FILE = 'release.public.pem';

/**
 * Makes the release key, Ed25519: the private half (0600) for whoever cuts releases, the public
 * half for the stations. A key of its own, never an access or configuration key; never overwritten.
 */
export function writeReleaseKey(dir: string): { privateKeyFile: string; publicKeyFile: string } {
  const privateKeyFile = join(dir, RELEASE_PRIVATE_KEY_FILE);
  const publicKeyFile = join(dir, RELEASE_PUBLIC_KEY_FILE);
  if (existsSync(privateKeyFile)) throw new UsageError(`${privateKeyFile} exists; a release key is never overwritten`);
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeSyncedFile(privateKeyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), 0o600);
  writeSyncedFile(publicKeyFile, publicKey.export({ format: 'pem', type: 'spki' }), 0o644);
  return { privateKeyFile, publicKeyFile };
}

export function readReleasePrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new UsageError(`${file}: not a private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`${file}: a release key is Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** The detached signature of a bundle's bytes, base64 in a `.sig` file beside it. */
export function signBundle(bytes: Buffer, key: KeyObject): string {
  return `${sign(null, bytes, key).toString('base64')}\n`;
}

export const publicKeyOf = (key: KeyObject): KeyObject => createPublicKey(key);
