import { readFileSync, statSync } from 'node:fs';
import type { StationConfig } from '../../../config/station-schema.js';
import { loadTrustedKeys, type TrustedKeys } from '../../../config/trusted-keys.js';
import { verifyRevocationDocument } from '../../access/revocation/revocation-document.js';
import { RevocationError } from '../../access/revocation/revocation-error.js';
import { revocationsFileFor } from '../../access/revocation/revocation-keeper.js';
import { pass, warn, type CheckResult } from './doctor-result.js';

/** Older than this, the list may miss revocations: the fleet re-signs it at least daily (docs/passes.md). */
export const REVOCATIONS_STALE_HOURS = 24;

const hours = (ms: number): string => `${Math.round((ms / 3_600_000) * 10) / 10} h`;

/**
 * The revocation list the station honours offline, as kept beside the database: its seq and age,
 * verified with the trusted keys as the gateway verifies it at start. None, unusable or older than
 * a day is a warning (the station runs; it may honour a pass revoked since); never a failure.
 */
export async function checkRevocations(config: StationConfig, now: Date): Promise<CheckResult | undefined> {
  const access = config.access;
  const file = revocationsFileFor(config.storage.path);
  if (!access || !file) return undefined;
  let jws: string;
  let received: Date;
  try {
    jws = readFileSync(file, 'utf8').trim();
    received = statSync(file).mtime;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return warn('revocations', `no list kept (${file}): the station honours the fleet's revocations once it has received its list`);
    return warn('revocations', `${file}: REVOCATION_FILE_DAMAGED ${(err as Error).message}`);
  }
  let keys: TrustedKeys;
  try {
    keys = await loadTrustedKeys(access.trustedKeys);
  } catch {
    return warn('revocations', `${file}: not checked, the trusted keys do not load (the config row says why)`);
  }
  try {
    const list = await verifyRevocationDocument(jws, keys);
    const age = now.getTime() - Date.parse(list.issuedAt);
    const detail = `list ${list.seq} issued ${list.issuedAt} (${hours(age)} ago), received ${received.toISOString()}; ${list.passes.length} passes, ${list.workers.length} workers`;
    if (age > REVOCATIONS_STALE_HOURS * 3_600_000) return warn('revocations', `${detail}: older than ${REVOCATIONS_STALE_HOURS} h, the station may honour passes revoked since`);
    return pass('revocations', detail);
  } catch (err) {
    const why = err instanceof RevocationError ? `${err.code}: ${err.message}` : (err as Error).message;
    return warn('revocations', `${file}: REVOCATION_FILE_DAMAGED (${why}); the station runs with no list until the fleet's arrives`);
  }
}
