import { readFileSync } from 'node:fs';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { ConfigError, type ConfigProblem } from './config-error.js';

/** The public keys that may sign access tokens, by `kid`. */
export type TrustedKeys = ReadonlyMap<string, CryptoKey>;

/**
 * Reads the station's JWKS file (`access.trustedKeys`). Several keys at once is how the cloud
 * rotates: it publishes the new key to stations first, signs with it later, and drops the old one
 * last. Only Ed25519 public keys are taken; a private key in the file is refused, since a station
 * that holds one could mint its own tokens and so could anyone who takes the box.
 */
export async function loadTrustedKeys(file: string): Promise<TrustedKeys> {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, message: string): void => void problems.push({ file, path, message });
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the trusted keys (a JWKS JSON file): ${(err as Error).message}` }]);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError([{ file, path: 'keys', message: 'must be a non-empty array of public keys (JWKS)' }]);

  const out = new Map<string, CryptoKey>();
  for (const [i, raw] of keys.entries()) {
    const jwk = raw as JWK;
    const at = `keys[${i}]${typeof jwk?.kid === 'string' ? ` (${jwk.kid})` : ''}`;
    if (typeof jwk !== 'object' || jwk === null) {
      problem(at, 'must be a JSON object (a JWK)');
      continue;
    }
    if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) problem(at, 'needs a "kid": tokens name their key by it');
    else if (out.has(jwk.kid)) problem(at, `kid "${jwk.kid}" appears twice`);
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
      problem(at, `must be an Ed25519 key (kty OKP, crv Ed25519), not ${String(jwk.kty)}/${String(jwk.crv)}`);
      continue;
    }
    if ('d' in jwk) {
      problem(at, 'holds a private key ("d"): a station needs public keys only; remove "d" and keep the private key in the cloud');
      continue;
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') problem(at, `"use" must be "sig", not "${String(jwk.use)}"`);
    try {
      const key = await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA');
      if (typeof jwk.kid === 'string' && !(key instanceof Uint8Array)) out.set(jwk.kid, key);
    } catch (err) {
      problem(at, `not a usable Ed25519 public key: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
