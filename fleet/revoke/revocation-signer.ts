import { CompactSign, type CryptoKey } from 'jose';
import { MAX_REVOCATION_CHARS, MAX_REVOCATION_ENTRIES, REVOCATION_JOSE_TYPE, revocationPayloadSchema, type RevocationPayload } from '../../cloud-bridge/revocation-contract.js';
import { UsageError } from '../../config/usage-error.js';

/** The pass issuer's key: an access key of the fleet, the same JWK `station-token keys` writes. */
export interface RevocationSigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * Signs a revocation list as stations take it (docs/passes.md, "Revocation"). Refuses, as a
 * UsageError, what every station would refuse unread (a wrong shape, too many entries, too large),
 * so an operator hears it at the desk and not from 12,000 logs.
 */
export async function signRevocationList(key: RevocationSigningKey, payload: RevocationPayload): Promise<string> {
  const checked = revocationPayloadSchema.safeParse(payload);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`cannot make the revocation list: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const entries = payload.passes.length + payload.workers.length;
  if (entries > MAX_REVOCATION_ENTRIES) throw new UsageError(`the list holds ${entries} entries; stations take at most ${MAX_REVOCATION_ENTRIES}`);
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: REVOCATION_JOSE_TYPE })
    .sign(key.privateKey);
  if (jws.length > MAX_REVOCATION_CHARS) throw new UsageError(`the list is ${jws.length} characters signed; stations take at most ${MAX_REVOCATION_CHARS}`);
  return jws;
}
