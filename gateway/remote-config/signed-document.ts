import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { TrustedKeys } from '../../config/trusted-keys.js';

/** Why a signed fleet document was refused before its payload was read; each kind has its own code in the caller's catalogue area. */
export type SignedDocumentFault = 'malformed' | 'unknown-key' | 'bad-signature';

export interface OpenOptions {
  keys: TrustedKeys;
  /** The JOSE header's `typ`: a configuration document is never taken for a release document. */
  typ: string;
  /** The caller's error for each fault (RemoteConfigError, UpdateError). */
  fail(fault: SignedDocumentFault, message: string): Error;
}

const ALGORITHMS = ['EdDSA', 'Ed25519'];

/**
 * A fleet document (a compact JWS signed by a configuration key) opened in the order that costs an
 * attacker the most: the header, the key it names, the signature, then the payload as JSON in
 * UTF-8. What the payload says is the caller's to check.
 */
export async function openSignedDocument(jws: string, o: OpenOptions): Promise<{ payload: unknown; kid: string }> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw o.fail('malformed', 'not a JWS in compact form');
  }
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) throw o.fail('malformed', `algorithm ${String(header.alg)} is not accepted (EdDSA only)`);
  if (header.typ !== o.typ) throw o.fail('malformed', `header typ must be "${o.typ}", not ${JSON.stringify(header.typ ?? null)}`);
  const kid = header.kid;
  if (typeof kid !== 'string' || kid === '') throw o.fail('unknown-key', 'the document names no key (kid)');
  const key = o.keys.get(kid);
  if (!key) throw o.fail('unknown-key', `key "${kid}" is not one of this station's configuration keys`);
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(jws, key, { algorithms: ALGORITHMS }));
  } catch (err) {
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw o.fail('bad-signature', `the signature does not verify with key "${kid}"`);
    throw o.fail('malformed', 'the JWS is malformed');
  }
  try {
    return { payload: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown, kid };
  } catch {
    throw o.fail('malformed', 'the payload is not JSON in UTF-8');
  }
}
