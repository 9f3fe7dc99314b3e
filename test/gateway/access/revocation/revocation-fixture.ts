import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import pino, { type Logger } from 'pino';
import type { RevocationPayload } from '../../../../cloud-bridge/revocation-contract.js';
import { loadTrustedKeys, type TrustedKeys } from '../../../../config/trusted-keys.js';
import { signRevocationList } from '../../../../fleet/revoke/revocation-signer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../../../simulators/cloud/token-issuer.js';

/** The pass issuer's key and the station's trusted keys file holding its public half. */
export async function revocationKeys(dir: string, kid = 'fleet-2026-12'): Promise<{ key: IssuerKey; keys: TrustedKeys; file: string }> {
  const key = await generateIssuerKey(kid);
  const file = join(dir, `${kid}.jwks.json`);
  writeTrustedKeys(file, [key]);
  return { key, keys: await loadTrustedKeys(file), file };
}

export const T0 = Date.parse('2026-12-01T20:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();
export const HOUR = 3_600_000;

export function listOf(seq: number, entries: Partial<Pick<RevocationPayload, 'passes' | 'workers'>> = {}, issuedAt = T0): RevocationPayload {
  return { seq, issuedAt: iso(issuedAt), passes: entries.passes ?? [], workers: entries.workers ?? [] };
}

export const sign = (key: IssuerKey, list: RevocationPayload): Promise<string> => signRevocationList(key, list);

/** Any payload signed as a list would be, unchecked: what a broken or hostile signer could send. */
export async function signRaw(key: IssuerKey, payload: unknown, typ = 'station-revocations+jws'): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ }).sign(key.privateKey);
}

export const message = (jws: string): Buffer => Buffer.from(JSON.stringify({ document: jws }));

/** A logger whose lines the test reads. */
export function capturingLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

export function writeText(file: string, text: string): void {
  writeFileSync(file, text);
}
