import { CompactSign } from 'jose';
import {
  RELEASE_DOCUMENT_JOSE_TYPE,
  releaseDocumentPayloadSchema,
  type BundleRef,
  type ReleaseDocumentPayload,
} from '../../cloud-bridge/update-contract.js';
import type { ReleaseArch } from '../../config/release-manifest.js';
import { UsageError } from '../../config/usage-error.js';
import type { ConfigSigningKey } from '../config/config-keys.js';

export interface ReleaseDocumentRequest {
  station: string;
  revision: number;
  version: string;
  bundles: Partial<Record<ReleaseArch, BundleRef>>;
  issuedAt?: Date;
  rollout?: string | undefined;
}

/** Stations refuse a longer document unread (gateway/update/verify-release-document.ts). */
const MAX_JWS_CHARS = 16 * 1024;

/**
 * Signs one station's release document with the fleet configuration key: the document says which
 * version the station runs, as its configuration says what it does, so the same key signs both
 * and the JOSE `typ` keeps one from being taken for the other. What every station would refuse
 * unread is refused here, as a UsageError, so the operator hears it at the desk.
 */
export async function signReleaseDocument(key: ConfigSigningKey, request: ReleaseDocumentRequest): Promise<string> {
  const payload: ReleaseDocumentPayload = {
    typ: 'station-release',
    station: request.station,
    revision: request.revision,
    issuedAt: (request.issuedAt ?? new Date()).toISOString(),
    version: request.version,
    bundles: request.bundles,
    ...(request.rollout !== undefined ? { rollout: request.rollout } : {}),
  };
  const checked = releaseDocumentPayloadSchema.safeParse(payload);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`cannot make the release document for ${request.station}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  if (Object.keys(request.bundles).length === 0) throw new UsageError('a release document names at least one bundle');
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RELEASE_DOCUMENT_JOSE_TYPE })
    .sign(key.privateKey);
  if (jws.length > MAX_JWS_CHARS) throw new UsageError(`the release document for ${request.station} is ${jws.length} characters signed; stations take at most ${MAX_JWS_CHARS}`);
  return jws;
}
