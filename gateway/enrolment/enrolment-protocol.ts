import { z } from 'zod';

/*
 * The enrolment topics and payloads, shared by the box (gateway/enrolment/) and the fleet's
 * enrolment service (fleet/enrolment/), so the two cannot drift. docs/enrolment.md describes them.
 *
 *   enrol/<claimId>/<requestId>/request   box → service   (claim listener: only enrol/<its id>/#)
 *   enrol/<claimId>/<requestId>/reply     service → box
 *   <prefix>/<stationId>/enrol/request    station → service (the station's mTLS connection)
 *   <prefix>/<stationId>/enrol/reply      service → station
 */

/** A claim's broker user name: one topic level, no wildcard, so the ACL's `%u` pins it to its own tree. */
export const CLAIM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Made fresh by the box for each attempt; one topic level. */
export const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** As the station schema's id (config/station-schema.ts): also the certificate's CN and the MQTT client id. */
export const STATION_ID = /^[a-z0-9-]{1,64}$/;
/** /etc/machine-id is 32 hex digits; other sources (a serial number) are allowed if they are plain. */
export const HARDWARE_ID = /^[A-Za-z0-9._:-]{4,128}$/;

/** A CSR of an EC P-256 key is under 1 KiB in PEM; a certificate chain a few KiB. */
const MAX_PEM = 12 * 1024;
/** A station file is a few KiB; with the certificate and the CA the reply stays under the broker's 64 KiB packet. */
const MAX_STATION_FILE = 32 * 1024;

export const enrolTopics = {
  request: (claimId: string, requestId: string): string => `enrol/${claimId}/${requestId}/request`,
  reply: (claimId: string, requestId: string): string => `enrol/${claimId}/${requestId}/reply`,
  /** What the service subscribes to for first enrolments. */
  allRequests: 'enrol/+/+/request',
  /** Claim id and request id of a request topic, or undefined for any other topic. */
  parseRequest(topic: string): { claimId: string; requestId: string } | undefined {
    const m = /^enrol\/([^/]+)\/([^/]+)\/request$/.exec(topic);
    return m && CLAIM_ID.test(m[1] ?? '') && REQUEST_ID.test(m[2] ?? '') ? { claimId: m[1] ?? '', requestId: m[2] ?? '' } : undefined;
  },
};

export const renewalTopics = {
  request: (prefix: string, stationId: string): string => `${prefix}/${stationId}/enrol/request`,
  reply: (prefix: string, stationId: string): string => `${prefix}/${stationId}/enrol/reply`,
  allRequests: (prefix: string): string => `${prefix}/+/enrol/request`,
  /** The station id of a renewal request topic: the broker's ACL guarantees it is the publisher's own. */
  parseRequest(prefix: string, topic: string): string | undefined {
    const head = `${prefix}/`;
    if (!topic.startsWith(head) || !topic.endsWith('/enrol/request')) return undefined;
    const id = topic.slice(head.length, -'/enrol/request'.length);
    return STATION_ID.test(id) ? id : undefined;
  },
};

const pem = (label: string) =>
  z
    .string()
    .max(MAX_PEM)
    .refine((s) => s.includes(`-----BEGIN ${label}-----`), { message: `must be PEM (${label})` });

export const enrolRequestSchema = z.strictObject({
  requestId: z.string().regex(REQUEST_ID),
  csr: pem('CERTIFICATE REQUEST'),
  hardwareId: z.string().regex(HARDWARE_ID),
  code: z.string().min(4).max(64).optional(),
  stationId: z.string().regex(STATION_ID).optional(),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const renewalRequestSchema = z.strictObject({
  requestId: z.string().regex(REQUEST_ID),
  csr: pem('CERTIFICATE REQUEST'),
});
export type RenewalRequest = z.infer<typeof renewalRequestSchema>;

const refusal = z.strictObject({
  ok: z.literal(false),
  requestId: z.string().optional(),
  error: z.strictObject({ code: z.string().min(1).max(64), message: z.string().max(1000) }),
});

const issued = {
  ok: z.literal(true),
  requestId: z.string(),
  stationId: z.string().regex(STATION_ID),
  /** The station's certificate first, then any intermediates. */
  certificate: pem('CERTIFICATE'),
  /** The CA(s) the station trusts for its broker: its station file's `cloud.ca`. */
  ca: pem('CERTIFICATE'),
  /** ISO-8601 UTC. */
  notAfter: z.iso.datetime(),
};

export const enrolReplySchema = z.union([z.strictObject({ ...issued, stationFile: z.string().min(1).max(MAX_STATION_FILE) }), refusal]);
export type EnrolReply = z.infer<typeof enrolReplySchema>;

export const renewalReplySchema = z.union([z.strictObject(issued), refusal]);
export type RenewalReply = z.infer<typeof renewalReplySchema>;
