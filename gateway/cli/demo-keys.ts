import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIssuerKey, writeTrustedKeys } from '../../simulators/cloud/token-issuer.js';

export interface DemoKeys {
  privateKeyFile: string;
  trustedKeysFile: string;
}

/**
 * The demo's own token-signing key, made on first start in `.demo/keys/` (never committed, so no
 * two checkouts share one and no real station can be made to trust it by copying the repo).
 */
export async function ensureDemoKeys(dir: string): Promise<DemoKeys> {
  const privateKeyFile = join(dir, 'issuer.private.jwk.json');
  const trustedKeysFile = join(dir, 'trusted-keys.jwks.json');
  if (!existsSync(privateKeyFile) || !existsSync(trustedKeysFile)) {
    mkdirSync(dir, { recursive: true });
    const key = await generateIssuerKey('demo-issuer-1');
    writeFileSync(privateKeyFile, `${JSON.stringify(key.privateJwk)}\n`, { mode: 0o600 });
    writeTrustedKeys(trustedKeysFile, [key]);
  }
  return { privateKeyFile, trustedKeysFile };
}
