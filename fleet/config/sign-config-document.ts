import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import {
  CONFIG_DOCUMENT_JOSE_TYPE,
  DOCUMENT_STATION_FILE,
  MAX_DOCUMENT_CHARS,
  MAX_DOCUMENT_FILES,
  configDocumentPayloadSchema,
  unsafeDocumentPath,
  type ConfigDocumentPayload,
} from '../../cloud-bridge/remote-config-contract.js';
import { UsageError } from '../../config/usage-error.js';
import type { ConfigSigningKey } from './config-keys.js';

export interface DocumentRequest {
  station: string;
  revision: number;
  /** Path in the revision folder → text; must hold `station.yaml`. */
  files: Record<string, string>;
  issuedAt?: Date;
  replaceDrift?: boolean;
}

/**
 * Signs one station's configuration document. Refuses, as a UsageError, what every station would
 * refuse unread (too large, unsafe paths, no station file), so an operator hears it at the desk.
 */
export async function signConfigDocument(key: ConfigSigningKey, request: DocumentRequest): Promise<string> {
  const payload: ConfigDocumentPayload = {
    typ: 'station-config',
    station: request.station,
    revision: request.revision,
    issuedAt: (request.issuedAt ?? new Date()).toISOString(),
    ...(request.replaceDrift ? { replaceDrift: true } : {}),
    files: request.files,
  };
  const checked = configDocumentPayloadSchema.safeParse(payload);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`cannot make the document for ${request.station}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const paths = Object.keys(request.files);
  if (!paths.includes(DOCUMENT_STATION_FILE)) throw new UsageError(`the document needs a "${DOCUMENT_STATION_FILE}"`);
  if (paths.length > MAX_DOCUMENT_FILES) throw new UsageError(`${paths.length} files; a document holds at most ${MAX_DOCUMENT_FILES}`);
  for (const p of paths) {
    const why = unsafeDocumentPath(p);
    if (why) throw new UsageError(why);
  }
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: CONFIG_DOCUMENT_JOSE_TYPE })
    .sign(key.privateKey);
  if (jws.length > MAX_DOCUMENT_CHARS) throw new UsageError(`the document for ${request.station} is ${jws.length} characters signed; stations take at most ${MAX_DOCUMENT_CHARS}`);
  return jws;
}

/**
 * The files of a push: the station file as `station.yaml` and each `*.yaml` of a profiles folder
 * as `profiles/<name>.yaml`, where the station's loader looks first for a profile named by name.
 */
export function readDocumentFiles(stationFile: string, profilesDir?: string): Record<string, string> {
  const files: Record<string, string> = {};
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  files[DOCUMENT_STATION_FILE] = read(stationFile);
  if (profilesDir !== undefined) {
    let names: string[];
    try {
      names = readdirSync(profilesDir).filter((n) => /\.ya?ml$/.test(n) && statSync(join(profilesDir, n)).isFile()).sort();
    } catch (err) {
      throw new UsageError(`cannot read the profiles folder ${profilesDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const name of names) files[`profiles/${name}`] = read(join(profilesDir, name));
  }
  return files;
}
