import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';

/**
 * The demo's own token-signing key, made on first start in `.demo/keys/` (never committed, so no
 * two checkouts share one and no real station can be made to trust it by copying the repo).
 */
export async function ensureDemoKeys(dir: string): Promise<Pick<IssuerKeyFiles, 'privateKeyFile' | 'trustedKeysFile'>> {
  const files = { privateKeyFile: join(dir, 'issuer.private.jwk.json'), trustedKeysFile: join(dir, 'trusted-keys.jwks.json') };
  if (existsSync(files.privateKeyFile) && existsSync(files.trustedKeysFile)) return files;
  return writeIssuerKeyFiles(dir, 'demo-issuer-1');
}
