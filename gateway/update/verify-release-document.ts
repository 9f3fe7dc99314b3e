import { createHash } from 'node:crypto';
import type { ReleaseArch } from '../../config/release-manifest.js';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import {
  RELEASE_DOCUMENT_JOSE_TYPE,
  desiredVersionSchema,
  releaseDocumentPayloadSchema,
  type BundleRef,
  type ReleaseDocumentPayload,
} from '../../cloud-bridge/update-contract.js';
import { openSignedDocument } from '../remote-config/signed-document.js';
import { UpdateError } from './update-error.js';

/** A release document the station accepts: signed by a configuration key, for it, newer than the last. */
export interface VerifiedRelease {
  payload: ReleaseDocumentPayload;
  /** The bundle for this box's architecture. */
  bundle: BundleRef;
  kid: string;
  /** SHA-256 of the compact JWS, so the same retained document after a reconnect is recognised. */
  hash: string;
}

export interface VerifyReleaseOptions {
  stationId: string;
  /** The station's configuration keys: the document says what the station runs, as its configuration does. */
  keys: TrustedKeys;
  /** The last revision the station took, or undefined when it took none. */
  lastRevision: number | undefined;
  arch: ReleaseArch;
}

const MAX_JWS_CHARS = 16 * 1024;

export const releaseDocumentHash = (jws: string): string => createHash('sha256').update(jws).digest('hex');

/** The compact JWS inside an `S/desired/version` payload; undefined for an empty (cleared) one. */
export function desiredDocument(payload: Buffer): string | undefined {
  if (payload.length === 0) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new UpdateError('UPDATE_DOCUMENT_MALFORMED', 'S/desired/version is not JSON');
  }
  const parsed = desiredVersionSchema.safeParse(raw);
  if (!parsed.success) throw new UpdateError('UPDATE_DOCUMENT_MALFORMED', `S/desired/version is not {"document": "<compact JWS>"}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.document;
}

/**
 * Checks a release document in the order that costs an attacker the most: size, header, the
 * signature by a configuration key, then what it says (shape, this station, a newer revision, a
 * bundle for this architecture). Each refusal is an UpdateError with its code.
 */
export async function verifyReleaseDocument(jws: string, o: VerifyReleaseOptions): Promise<VerifiedRelease> {
  if (jws.length > MAX_JWS_CHARS) throw new UpdateError('UPDATE_DOCUMENT_MALFORMED', `the document is ${jws.length} characters; the limit is ${MAX_JWS_CHARS}`);
  const { payload: raw, kid } = await openSignedDocument(jws, {
    keys: o.keys,
    typ: RELEASE_DOCUMENT_JOSE_TYPE,
    fail: (fault, message) =>
      fault === 'malformed' ? new UpdateError('UPDATE_DOCUMENT_MALFORMED', message) : fault === 'unknown-key' ? new UpdateError('UPDATE_UNKNOWN_KEY', message) : new UpdateError('UPDATE_BAD_DOCUMENT_SIGNATURE', message),
  });
  const parsed = releaseDocumentPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UpdateError('UPDATE_DOCUMENT_MALFORMED', `payload ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const payload = parsed.data;
  if (payload.station !== o.stationId) throw new UpdateError('UPDATE_WRONG_STATION', `the document is for station "${payload.station}", not "${o.stationId}"`);
  if (o.lastRevision !== undefined && payload.revision <= o.lastRevision) {
    throw new UpdateError('UPDATE_REVISION_NOT_NEWER', `revision ${payload.revision} is not newer than revision ${o.lastRevision}, the last the station took`);
  }
  const bundle = payload.bundles[o.arch];
  if (!bundle) throw new UpdateError('UPDATE_WRONG_ARCH', `the document names no bundle for linux-${o.arch} (it has ${Object.keys(payload.bundles).map((a) => `linux-${a}`).join(', ') || 'none'})`);
  return { payload, bundle, kid, hash: releaseDocumentHash(jws) };
}

/** The revision and version a document claims, read without trusting it, for the report of a refusal. */
export function claimedRelease(jws: string): { revision: number | null; version: string | null; rollout: string | null } {
  try {
    const part = jws.split('.')[1];
    if (part === undefined || part.length > MAX_JWS_CHARS) return { revision: null, version: null, rollout: null };
    const raw = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { revision?: unknown; version?: unknown; rollout?: unknown };
    const revision = typeof raw.revision === 'number' && Number.isSafeInteger(raw.revision) && raw.revision >= 1 ? raw.revision : null;
    const version = typeof raw.version === 'string' && raw.version.length <= 64 ? raw.version : null;
    const rollout = typeof raw.rollout === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(raw.rollout) ? raw.rollout : null;
    return { revision, version, rollout };
  } catch {
    return { revision: null, version: null, rollout: null };
  }
}
