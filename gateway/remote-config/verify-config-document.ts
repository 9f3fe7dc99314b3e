import { createHash } from 'node:crypto';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import {
  CONFIG_DOCUMENT_JOSE_TYPE,
  DOCUMENT_STATION_FILE,
  MAX_DOCUMENT_CHARS,
  MAX_DOCUMENT_FILES,
  configDocumentPayloadSchema,
  unsafeDocumentPath,
  type ConfigDocumentPayload,
} from '../../cloud-bridge/remote-config-contract.js';
import { RemoteConfigError } from './remote-config-error.js';
import { openSignedDocument } from './signed-document.js';

/** A document whose signature, station and revision the station accepts, ready to be validated. */
export interface VerifiedDocument {
  payload: ConfigDocumentPayload;
  kid: string;
  /** SHA-256 of the compact JWS: what the report names it by. */
  hash: string;
  /** The compact JWS as it came, kept beside the revision's files. */
  jws: string;
}

export interface VerifyOptions {
  stationId: string;
  /** The station's configuration keys (never its access-token keys). */
  keys: TrustedKeys;
  /** The revision the station runs, or undefined when it runs its on-site file. */
  currentRevision: number | undefined;
}


export const documentHash = (jws: string): string => createHash('sha256').update(jws).digest('hex');

/**
 * Checks a configuration document in the order that costs an attacker the most: size, then the
 * header, the signature by a configuration key, then what the signed payload says (shape, safe
 * paths, this station, a newer revision). Each refusal is a RemoteConfigError with its code.
 */
export async function verifyConfigDocument(jws: string, options: VerifyOptions): Promise<VerifiedDocument> {
  if (jws.length > MAX_DOCUMENT_CHARS) throw new RemoteConfigError('CONFIG_DOCUMENT_TOO_LARGE', `the document is ${jws.length} characters; the limit is ${MAX_DOCUMENT_CHARS}`);
  const { payload: raw, kid } = await openSignedDocument(jws, {
    keys: options.keys,
    typ: CONFIG_DOCUMENT_JOSE_TYPE,
    fail: (fault, message) =>
      fault === 'malformed' ? new RemoteConfigError('CONFIG_DOCUMENT_MALFORMED', message) : fault === 'unknown-key' ? new RemoteConfigError('CONFIG_UNKNOWN_KEY', message) : new RemoteConfigError('CONFIG_BAD_SIGNATURE', message),
  });
  const parsed = configDocumentPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RemoteConfigError('CONFIG_DOCUMENT_MALFORMED', `payload ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const payload = parsed.data;
  checkFiles(payload.files);
  if (payload.station !== options.stationId) throw new RemoteConfigError('CONFIG_WRONG_STATION', `the document is for station "${payload.station}", not "${options.stationId}"`);
  if (options.currentRevision !== undefined && payload.revision <= options.currentRevision) {
    throw new RemoteConfigError('CONFIG_REVISION_NOT_NEWER', `revision ${payload.revision} is not newer than revision ${options.currentRevision}, which the station runs`);
  }
  return { payload, kid, hash: documentHash(jws), jws };
}

/** The files' paths, all of them, before anything is written: one bad path refuses the document. */
function checkFiles(files: Record<string, string>): void {
  const paths = Object.keys(files);
  if (paths.length > MAX_DOCUMENT_FILES) throw new RemoteConfigError('CONFIG_DOCUMENT_TOO_LARGE', `the document holds ${paths.length} files; the limit is ${MAX_DOCUMENT_FILES}`);
  if (!Object.hasOwn(files, DOCUMENT_STATION_FILE)) throw new RemoteConfigError('CONFIG_DOCUMENT_MALFORMED', `payload files: must hold "${DOCUMENT_STATION_FILE}"`);
  const problems = paths.map(unsafeDocumentPath).filter((p): p is string => p !== undefined);
  // A file that is also another's folder could not be written: "profiles" beside "profiles/x.yaml".
  const set = new Set(paths);
  for (const p of paths.filter((q) => unsafeDocumentPath(q) === undefined)) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (set.has(folder)) problems.push(`"${folder}" is a file and also the folder of "${p}"`);
    }
  }
  if (problems.length > 0) throw new RemoteConfigError('CONFIG_PATH_UNSAFE', `${problems.length} unsafe file path${problems.length === 1 ? '' : 's'} in the document`, problems);
}

/**
 * The revision a document claims, read without trusting it: what a report of a refusal names, so
 * an operator can tell which push it was. Undefined when it cannot be read.
 */
export function claimedRevision(jws: string): number | undefined {
  try {
    const part = jws.split('.')[1];
    if (part === undefined || part.length > MAX_DOCUMENT_CHARS) return undefined;
    const raw = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { revision?: unknown };
    return typeof raw.revision === 'number' && Number.isSafeInteger(raw.revision) && raw.revision >= 1 ? raw.revision : undefined;
  } catch {
    return undefined;
  }
}
