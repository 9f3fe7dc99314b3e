import { z } from 'zod';
import { RELEASE_ARCHES } from '../config/release-manifest.js';
import { timestamp } from './contract-primitives.js';

/*
 * Software updates on the wire (docs/updates.md): the version the fleet wants a station to run,
 * `S/desired/version` (retained, written by the operator account only, read by the station), and
 * where the station's update stands, `S/update` (retained, written by the station). The document
 * is signed by a fleet configuration key (it says which version a station runs, like its
 * configuration); the bundle it names is signed by the release key (it says the bytes are ours).
 * Both sides (gateway/update/, fleet/update/) parse with these schemas.
 */

/** `S/desired/version` and `S/update` of one station, `S` = `<prefix>/<stationId>`. */
export function updateTopics(prefix: string, stationId: string): { desired: string; report: string } {
  const root = `${prefix}/${stationId}`;
  return { desired: `${root}/desired/version`, report: `${root}/update` };
}

/** The topic suffixes under `S/`, for the bridge's `follow` and `report`. */
export const DESIRED_VERSION_SUFFIX = 'desired/version';
export const UPDATE_REPORT_SUFFIX = 'update';

/** The JOSE header's `typ` of a release document, so nothing else signed is taken for one. */
export const RELEASE_DOCUMENT_JOSE_TYPE = 'station-release+jws';

/** No bundle is larger than this, whatever a document claims (the station's own limit may be lower). */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

export const RELEASE_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256, lower-case hex');

export const bundleRefSchema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .regex(/^https:\/\/[^\s]+$/)
    .describe('where the station downloads the bundle: HTTPS only, checked against the station\'s CA'),
  bytes: z.number().int().min(1).max(MAX_BUNDLE_BYTES).describe('the bundle\'s exact size; a longer download is cut off there and refused'),
  sha256: sha256.describe('SHA-256 of the bundle file'),
  signature: z
    .string()
    .regex(/^[A-Za-z0-9+/]{86}==$/)
    .describe('the detached Ed25519 signature of the bundle by the release key, base64 (the `.sig` file beside it)'),
  unpackedBytes: z.number().int().min(1).optional().describe('the sum of the manifest\'s file sizes: the space unpacking needs'),
});
export type BundleRef = z.infer<typeof bundleRefSchema>;

/** The signed payload: which version one station is to run, and where each architecture's bundle is. */
export const releaseDocumentPayloadSchema = z
  .strictObject({
    typ: z.literal('station-release'),
    station: z.string().regex(/^[a-z0-9-]{1,64}$/).describe('the station this document is for; another station refuses it'),
    revision: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .describe('increases with every document for the station; a station takes only a revision newer than the last it took, so an old document replayed cannot move it back'),
    issuedAt: timestamp.describe('when the fleet signed it'),
    version: z.string().regex(RELEASE_VERSION).describe('the version to run; an older one than the running one is a rollback the fleet asked for'),
    bundles: z
      .partialRecord(z.enum(RELEASE_ARCHES), bundleRefSchema)
      .describe('the bundle for each architecture the fleet built; a station whose architecture is missing refuses with UPDATE_WRONG_ARCH'),
    rollout: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional().describe('the rollout this document belongs to, echoed in the report'),
  })
  .meta({ title: 'release document', description: 'The payload of the compact JWS (EdDSA, `kid` in the header) on S/desired/version.' });
export type ReleaseDocumentPayload = z.infer<typeof releaseDocumentPayloadSchema>;

export const desiredVersionSchema = z
  .looseObject({
    document: z.string().min(1).max(16 * 1024).describe('the signed release document, a compact JWS'),
  })
  .meta({
    title: 'desired version',
    description: 'Retained on S/desired/version by the fleet (the operator account only). An empty retained payload clears it.',
  });
export type DesiredVersion = z.infer<typeof desiredVersionSchema>;

/**
 * Where an update stands, in the order a successful one passes them. `deferred`: waiting for a
 * swap or a water session to end. `trial`: the new version runs and is held to its health gate.
 */
export const UPDATE_REPORT_STATES = ['deferred', 'downloading', 'verifying', 'installing', 'switching', 'trial', 'committed', 'rejected', 'rolled-back'] as const;
export type UpdateReportState = (typeof UPDATE_REPORT_STATES)[number];
/** The states that end an update: a rollout waits for one of these. */
export const FINAL_UPDATE_STATES: readonly UpdateReportState[] = ['committed', 'rejected', 'rolled-back'];

export const updateReportSchema = z
  .strictObject({
    revision: z.number().int().min(1).nullable().describe('the document this report is about (null for the report of a start with no document)'),
    version: z.string().nullable().describe('the version the document asks for (null when none)'),
    running: z.string().describe('the version the station runs now'),
    state: z.enum(UPDATE_REPORT_STATES),
    code: z.string().optional().describe('why it was rejected or rolled back: an error code (docs/errors.md)'),
    problems: z.array(z.string().max(400)).max(20).describe('what went wrong, in words; empty when nothing did'),
    progress: z
      .strictObject({ bytes: z.number().int().min(0), total: z.number().int().min(0) })
      .optional()
      .describe('while downloading: bytes on disk of the total'),
    rollout: z.string().nullable().describe('the rollout of the document, when it named one'),
    ts: timestamp,
  })
  .meta({ title: 'update report', description: 'Retained on S/update by the station: where its software update stands.' });
export type UpdateReport = z.infer<typeof updateReportSchema>;
