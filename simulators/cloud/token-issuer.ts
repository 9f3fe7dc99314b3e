import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { ulid } from 'ulid';

/**
 * The cloud's side of access tokens, for the demo, the bench and the tests: a signing key and the
 * tokens a phone app would get. A station never holds a private key; this lives in simulators/.
 */
export interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half as a JWK, for the station's trusted-keys JWKS file. */
  publicJwk: JWK;
}

export async function generateIssuerKey(kid: string): Promise<IssuerKey & { privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'EdDSA' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' };
  return { kid, privateKey, publicJwk, privateJwk };
}

/** Writes a JWKS of public keys, as a station's `access.trustedKeys` file. */
export function writeTrustedKeys(file: string, keys: readonly { publicJwk: JWK }[]): void {
  writeFileSync(file, `${JSON.stringify({ keys: keys.map((k) => k.publicJwk) }, null, 2)}\n`);
}

export interface IssuerKeyFiles {
  /** The signing key (JWK with `d`), for the cloud side only: mode 0600. */
  privateKeyFile: string;
  /** The JWKS a station names in `access.trustedKeys`. */
  trustedKeysFile: string;
  kid: string;
}

/** Makes a signing key and writes both halves into `dir`, as the demo and `station-token keys` do. */
export async function writeIssuerKeyFiles(dir: string, kid: string): Promise<IssuerKeyFiles> {
  mkdirSync(dir, { recursive: true });
  const key = await generateIssuerKey(kid);
  const privateKeyFile = join(dir, 'issuer.private.jwk.json');
  const trustedKeysFile = join(dir, 'trusted-keys.jwks.json');
  writeFileSync(privateKeyFile, `${JSON.stringify(key.privateJwk)}\n`, { mode: 0o600 });
  writeTrustedKeys(trustedKeysFile, [key]);
  return { privateKeyFile, trustedKeysFile, kid };
}

export async function readIssuerKey(file: string): Promise<IssuerKey> {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as JWK;
  if (typeof jwk.kid !== 'string' || !jwk.d) throw new Error(`${file}: not a private signing key (JWK with "d" and "kid")`);
  const privateKey = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  const { d: _d, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey, publicJwk };
}

export interface TokenRequest {
  station: string;
  res: string;
  /** `diagnose` (with role operator and res the station id) reads logs and doctor checks: docs/diagnostics.md. */
  act: 'unlock' | 'swap' | 'dispense' | 'operate' | 'diagnose';
  sub?: string;
  role?: 'worker' | 'operator' | undefined;
  /** Seconds the token lives; the contract's default maximum is 300. */
  ttlSeconds?: number;
  /** Issue time; defaults to now. */
  issuedAt?: Date;
  jti?: string;
  iss?: string;
}

export async function issueToken(key: IssuerKey, request: TokenRequest): Promise<string> {
  const iat = Math.floor((request.issuedAt ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({ res: request.res, act: request.act, role: request.role })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(request.iss ?? 'https://cloud.example.net')
    .setSubject(request.sub ?? 'worker-demo')
    .setAudience(request.station)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (request.ttlSeconds ?? 120))
    .setJti(request.jti ?? ulid());
  return jwt.sign(key.privateKey);
}
