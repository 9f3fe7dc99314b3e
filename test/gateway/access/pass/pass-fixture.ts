import { importJWK, type CryptoKey } from 'jose';
import type { TrustedKeys } from '../../../../config/trusted-keys.js';
import type { ClockReading } from '../../../../gateway/access/clock-trust.js';
import type { RollingCodeOptions } from '../../../../gateway/access/pass/rolling-code-verifier.js';
import { generatePhoneKey, issuePass, type PassRequest, type PhoneKey } from '../../../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, type IssuerKey } from '../../../../simulators/cloud/token-issuer.js';

/** What the pass tests share: a fleet key the station trusts, one it does not, a phone, a clock. */
export const STATION = 'demo-hz-0001';
/** On a step boundary plus two seconds, so "one step earlier" is never a matter of rounding. */
export const NOW = new Date('2026-12-01T20:00:02Z');

export interface PassWorld {
  fleet: IssuerKey;
  /** A key the station does not trust, with a kid of its own. */
  stranger: IssuerKey;
  /** Another key under the fleet's kid: a forger's. */
  forger: IssuerKey;
  keys: TrustedKeys;
  phone: PhoneKey;
  otherPhone: PhoneKey;
}

export async function passWorld(): Promise<PassWorld> {
  const [fleet, stranger, forger] = await Promise.all([generateIssuerKey('fleet-2026-12'), generateIssuerKey('elsewhere-1'), generateIssuerKey('fleet-2026-12')]);
  const keys = new Map<string, CryptoKey>([[fleet.kid, (await importJWK({ ...fleet.publicJwk, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey]]);
  return { fleet, stranger, forger, keys, phone: generatePhoneKey(), otherPhone: generatePhoneKey() };
}

/** A worker's pass for the station's main door, the cabinet and any water dispenser, issued an hour ago for a day. */
export function workerPass(world: PassWorld, over: Partial<PassRequest> = {}, signer: IssuerKey = world.fleet): Uint8Array {
  return issuePass(signer, {
    sub: 'w-5f3c9a1e',
    phoneKey: world.phone.publicKey,
    stations: [STATION],
    grants: [{ act: 'unlock', res: 'main-door' }, { act: 'swap', res: 'cabinet-1' }, { act: 'dispense' }],
    issuedAt: new Date(NOW.getTime() - 3600_000),
    ttlSeconds: 24 * 3600,
    ...over,
  });
}

export const trusted = (now: Date = NOW): ClockReading => ({ now, trusted: true, reason: 'synchronised', floor: now });

export function options(world: PassWorld, over: Partial<RollingCodeOptions> = {}): RollingCodeOptions {
  return { keys: world.keys, stationId: STATION, skewSeconds: 60, untrustedClock: 'floor', seen: () => false, ...over };
}
