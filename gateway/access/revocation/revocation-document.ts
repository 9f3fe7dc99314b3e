import { MAX_REVOCATION_CHARS, MAX_REVOCATION_ENTRIES, REVOCATION_JOSE_TYPE, revocationPayloadSchema, type RevocationPayload } from '../../../cloud-bridge/revocation-contract.js';
import type { TrustedKeys } from '../../../config/trusted-keys.js';
import { openSignedDocument, type SignedDocumentFault } from '../../remote-config/signed-document.js';
import { RevocationError } from './revocation-error.js';

/** Each fault of the envelope as the list's own code. */
const refusal = (fault: SignedDocumentFault, message: string): RevocationError =>
  fault === 'unknown-key'
    ? new RevocationError('REVOCATION_UNKNOWN_KEY', message)
    : fault === 'bad-signature'
      ? new RevocationError('REVOCATION_BAD_SIGNATURE', message)
      : new RevocationError('REVOCATION_MALFORMED', message);

/**
 * Opens a revocation list (docs/passes.md, "Revocation"): its size before anything is parsed, then
 * the header, the access key it names, the signature, and the payload's shape and entry count.
 * Throws RevocationError; what is returned was signed by a key the station trusts for passes.
 */
export async function verifyRevocationDocument(jws: string, keys: TrustedKeys): Promise<RevocationPayload> {
  if (jws.length > MAX_REVOCATION_CHARS) throw new RevocationError('REVOCATION_TOO_LARGE', `the list is ${jws.length} characters; a station takes at most ${MAX_REVOCATION_CHARS}`);
  const { payload } = await openSignedDocument(jws, {
    keys,
    typ: REVOCATION_JOSE_TYPE,
    fail: refusal,
  });
  // Counted before the schema walks the entries: a list of a million is refused as too large, not read.
  const counts = payload as { passes?: unknown; workers?: unknown } | null;
  const entries = (Array.isArray(counts?.passes) ? counts.passes.length : 0) + (Array.isArray(counts?.workers) ? counts.workers.length : 0);
  if (entries > MAX_REVOCATION_ENTRIES) throw new RevocationError('REVOCATION_TOO_LARGE', `the list holds ${entries} entries; a station takes at most ${MAX_REVOCATION_ENTRIES}`);
  const parsed = revocationPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RevocationError('REVOCATION_MALFORMED', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not a revocation list'}`);
  }
  return parsed.data;
}
