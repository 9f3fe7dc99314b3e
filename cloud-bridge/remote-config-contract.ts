import { z } from 'zod';
import { timestamp } from './contract-primitives.js';

/*
 * Remote configuration on the wire (docs/remote-config.md): the fleet's desired configuration of a
 * station, `S/desired/config` (retained, written by the operator account only, read by the
 * station), and what the station reports of it, `S/config` (retained, written by the station).
 * Both sides (gateway/remote-config/, fleet/config/) parse with these schemas.
 */

/** `S/desired/config` and `S/config` of one station, `S` = `<prefix>/<stationId>`. */
export function remoteConfigTopics(prefix: string, stationId: string): { desired: string; report: string } {
  const root = `${prefix}/${stationId}`;
  return { desired: `${root}/desired/config`, report: `${root}/config` };
}

/**
 * The largest signed document, in characters of its compact JWS. Under the station connection's
 * 64 KiB packet limit with room for the topic, the JSON wrapper and MQTT 5 properties; about 44 KiB
 * of files once base64url has taken its third.
 */
export const MAX_DOCUMENT_CHARS = 60 * 1024;
/** At most this many files in one document: a station file and the profiles it names. */
export const MAX_DOCUMENT_FILES = 64;

/** The JOSE header's `typ` of a configuration document, so nothing else signed is taken for one. */
export const CONFIG_DOCUMENT_JOSE_TYPE = 'station-config+jws';

/**
 * A path inside the revision folder: relative, `/`-separated, each segment a plain name (no `.`,
 * `..`, hidden names, backslashes or NUL), at most 4 deep. Checked before a byte is written.
 */
export const SAFE_DOCUMENT_PATH = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\/){0,3}[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** Why a document path is not one the station writes, or undefined when it is. */
export function unsafeDocumentPath(path: string): string | undefined {
  if (path.startsWith('/')) return `"${path}" is an absolute path; paths are relative to the revision folder`;
  if (path.split(/[\\/]/).some((s) => s === '..' || s === '.')) return `"${path}" leaves or names the revision folder itself ("." or "..")`;
  if (!SAFE_DOCUMENT_PATH.test(path)) return `"${path}" is not a plain relative path (segments of A-Z, a-z, 0-9, "_", ".", "-", not starting with ".", at most 4 deep)`;
  return undefined;
}

/** The station file every document carries; the station runs `<revision folder>/station.yaml`. */
export const DOCUMENT_STATION_FILE = 'station.yaml';

/** The signed payload: what one revision of a station's configuration is. */
export const configDocumentPayloadSchema = z
  .strictObject({
    typ: z.literal('station-config'),
    station: z.string().regex(/^[a-z0-9-]{1,64}$/).describe('the station this revision is for; another station refuses it'),
    revision: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('increases with every push; a station takes only a revision newer than its own'),
    issuedAt: timestamp.describe('when the fleet signed it'),
    replaceDrift: z.boolean().optional().describe('replace a station file that was changed on site (drift); without it such a station refuses the revision'),
    files: z
      .record(z.string(), z.string())
      .describe('file path in the revision folder → its text: `station.yaml` and the profiles it names (`profiles/<name>.yaml`)'),
  })
  .meta({ title: 'configuration document', description: 'The payload of the compact JWS (EdDSA, `kid` in the header) on S/desired/config.' });
export type ConfigDocumentPayload = z.infer<typeof configDocumentPayloadSchema>;

export const desiredConfigSchema = z
  .looseObject({
    document: z.string().min(1).max(MAX_DOCUMENT_CHARS).describe('the signed configuration document, a compact JWS'),
  })
  .meta({
    title: 'desired config',
    description: 'Retained on S/desired/config by the fleet (the operator account only). An empty retained payload clears it.',
  });
export type DesiredConfig = z.infer<typeof desiredConfigSchema>;

export const CONFIG_REPORT_STATES = ['applying', 'applied', 'rejected', 'rolled-back'] as const;
export type ConfigReportState = (typeof CONFIG_REPORT_STATES)[number];
/** The states that end an apply: a fleet push waits for one of these. */
export const FINAL_CONFIG_STATES: readonly ConfigReportState[] = ['applied', 'rejected', 'rolled-back'];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256, lower-case hex');

export const driftEntrySchema = z.strictObject({
  file: z.string().describe('the file on the station, as a path on the box'),
  expected: sha256.describe('its hash when the station applied it'),
  actual: sha256.nullable().describe('its hash now; null when it is gone'),
});
export type DriftEntry = z.infer<typeof driftEntrySchema>;

export const configReportSchema = z
  .strictObject({
    revision: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe('the revision this report is about; for a document refused before its signature verified, the revision it claims (null when unreadable)'),
    documentHash: sha256.nullable().describe('SHA-256 of the compact JWS this report is about, so a fleet tool knows its own push; null for the report of a start'),
    state: z.enum(CONFIG_REPORT_STATES),
    running: z.number().int().min(1).nullable().describe('the revision the station runs now; null when it runs its on-site station file'),
    code: z.string().optional().describe('why it was rejected or rolled back: an error code (docs/errors.md)'),
    problems: z.array(z.string()).describe('each problem as `station-gateway validate` prints it (`file:line: key.path: message`), or what the health gate missed'),
    drift: z.array(driftEntrySchema).describe('files changed on site since the station applied them; empty when none'),
    ts: timestamp,
  })
  .meta({ title: 'config report', description: 'Retained on S/config by the station: where its configuration stands.' });
export type ConfigReport = z.infer<typeof configReportSchema>;
