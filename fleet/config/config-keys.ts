import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The fleet's configuration key: what signs a station's desired configuration. A key of its own,
 * never an access-token key: whoever can sign a configuration can change which keys open doors,
 * so the two are held and rotated apart. Stations hold the public half in a JWKS file of their own.
 */

export const CONFIG_PRIVATE_KEY_FILE = 'config.private.jwk.json';
export const CONFIG_PUBLIC_KEYS_FILE = 'config-keys.jwks.json';

export class ConfigKeyFileError extends Error {
  override readonly name = 'ConfigKeyFileError';
  readonly code = 'CONFIG_KEY_FILE';
}

export interface ConfigSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface WrittenConfigKey {
  kid: string;
  privateKeyFile: string;
  publicKeysFile: string;
}

/**
 * Makes an Ed25519 key pair and writes the private JWK (mode 0600, for the fleet's operators only)
 * and a JWKS of its public half (for the stations). Refuses to overwrite a private key: losing
 * one means re-keying every station by hand.
 */
export async function writeConfigKey(dir: string, kid: string): Promise<WrittenConfigKey> {
  const privateKeyFile = join(dir, CONFIG_PRIVATE_KEY_FILE);
  const publicKeysFile = join(dir, CONFIG_PUBLIC_KEYS_FILE);
  if (existsSync(privateKeyFile)) throw new ConfigKeyFileError(`${privateKeyFile} exists; a configuration key is never overwritten (choose another --out)`);
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'EdDSA' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  writeFileSync(privateKeyFile, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(publicKeysFile, `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`);
  return { kid, privateKeyFile, publicKeysFile };
}

export async function readConfigKey(file: string): Promise<ConfigSigningKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (err) {
    throw new ConfigKeyFileError(`${file}: cannot read the configuration key (a JWK JSON file): ${(err as Error).message}`);
  }
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new ConfigKeyFileError(`${file}: not an Ed25519 key (kty OKP, crv Ed25519)`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '') throw new ConfigKeyFileError(`${file}: the key has no "kid"; stations find the key by it`);
  if (typeof jwk.d !== 'string') throw new ConfigKeyFileError(`${file}: a public key; signing needs the private key (with "d")`);
  try {
    const privateKey = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
    if (privateKey instanceof Uint8Array) throw new Error('not an asymmetric key');
    return { kid: jwk.kid, privateKey };
  } catch (err) {
    throw new ConfigKeyFileError(`${file}: not a usable Ed25519 private key: ${(err as Error).message}`);
  }
}
