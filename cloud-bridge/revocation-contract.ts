import { z } from 'zod';
import { timestamp } from './contract-primitives.js';

/*
 * The fleet's revocation list on the wire (docs/passes.md, "Revocation"): one retained message for
 * the whole fleet on `<prefix>/_fleet/revocations`, written by the operators' account only, read
 * by every station. Station ids are `[a-z0-9-]` only, so `_fleet` is never a station's tree. The
 * station (gateway/access/revocation/) and the issuing tool (fleet/revoke/) parse with these.
 */

/** The fleet-wide topics, outside every station's tree. */
export function fleetTopics(prefix: string): { revocations: string } {
  return { revocations: `${prefix}/_fleet/revocations` };
}

/** The name under `<prefix>/_fleet/` the station follows. */
export const REVOCATIONS_FLEET_TOPIC = 'revocations';

/** The JOSE header's `typ`: nothing else the fleet signs (a configuration, a release) is taken for a list. */
export const REVOCATION_JOSE_TYPE = 'station-revocations+jws';

/**
 * A list holds at most this many entries (passes and workers together) and is at most this many
 * characters signed; a larger one is refused whole and the list the station keeps stays. Expired
 * entries are left out by the issuer, so the bound is on what is revoked and still valid.
 */
export const MAX_REVOCATION_ENTRIES = 20_000;
export const MAX_REVOCATION_CHARS = 1024 * 1024;

const passId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{11,43}$/)
  .describe("the pass's `cti` in base64url without padding (8 to 32 bytes), as the verifier reports it");

export const revokedPassSchema = z.strictObject({
  id: passId,
  until: timestamp.describe("the pass's `exp`: after it the pass is refused anyway, and the entry can go"),
});

export const revokedWorkerSchema = z.strictObject({
  sub: z.string().min(1).max(128).describe("the worker's pseudonymous id, a pass's `sub`"),
  before: timestamp.describe('passes of this worker issued (`iat`) before this time are revoked; a pass issued after it reinstates the worker'),
  until: timestamp.describe('`before` plus the longest pass lifetime: after it no pass issued before `before` is valid, and the entry can go'),
});

/** The signed payload: the whole list, replaced whole by the next one. */
export const revocationPayloadSchema = z
  .strictObject({
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('increases with every list; a station takes only a list whose seq is greater than the one it keeps'),
    issuedAt: timestamp.describe('when the fleet signed it: its age is how current the station is'),
    passes: z.array(revokedPassSchema).describe('passes revoked by id'),
    workers: z.array(revokedWorkerSchema).describe('workers revoked: every pass issued to them before `before`'),
  })
  .meta({ title: 'revocation list', description: 'The payload of the compact JWS (EdDSA, `kid` of an access key, `typ` station-revocations+jws) on `<prefix>/_fleet/revocations`.' });
export type RevocationPayload = z.infer<typeof revocationPayloadSchema>;

export const revocationsMessageSchema = z
  .looseObject({
    document: z.string().min(1).max(MAX_REVOCATION_CHARS).describe('the signed revocation list, a compact JWS'),
  })
  .meta({
    title: 'revocations',
    description: 'Retained on `<prefix>/_fleet/revocations` by the fleet (the operator account only), one message for every station.',
  });
export type RevocationsMessage = z.infer<typeof revocationsMessageSchema>;

/** What `S/status` says of the list the station keeps: how old its knowledge of revocations is. */
export const revocationStatusSchema = z
  .strictObject({
    seq: z.number().int().min(1).describe('the seq of the list the station honours'),
    issuedAt: timestamp.describe('when the fleet signed it'),
    receivedAt: timestamp.describe('when the station took it'),
  })
  .nullable()
  .describe('the revocation list the station honours offline; null when it has none (it has never received one, or the one it kept no longer verifies); absent on a station without an access section');
export type RevocationStatus = z.infer<typeof revocationStatusSchema>;
