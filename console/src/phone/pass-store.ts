import { dbGet, dbPut } from './phone-db.js';
import { checkPassForPhone, type PassSummary } from './pass-reader.js';

/*
 * The phone's current pass, byte for byte as the cloud signed it, in IndexedDB beside the key.
 * One pass at a time: a new pass for this phone replaces the old one (the cloud reissues daily).
 */

interface StoredPass {
  bytes: Uint8Array;
  receivedAt: number;
}

const RECORD = 'current';

export interface CurrentPass {
  bytes: Uint8Array;
  summary: PassSummary;
  receivedAt: number;
}

/** Checks a pass against this phone's key and stores it; throws PassRefused and keeps the old one. */
export async function acceptPass(db: IDBDatabase, bytes: Uint8Array, ownKey: Uint8Array, now = Date.now()): Promise<CurrentPass> {
  const summary = checkPassForPhone(bytes, ownKey, Math.floor(now / 1000));
  await dbPut(db, 'passes', RECORD, { bytes, receivedAt: now } satisfies StoredPass);
  return { bytes, summary, receivedAt: now };
}

/** The stored pass, read again (an expired one too: the page says it expired). */
export async function loadPass(db: IDBDatabase, ownKey: Uint8Array): Promise<CurrentPass | undefined> {
  const stored = await dbGet<StoredPass>(db, 'passes', RECORD);
  if (!stored) return undefined;
  try {
    // Far in the past: only the binding to this phone is checked here; expiry is shown, not refused.
    return { bytes: stored.bytes, summary: checkPassForPhone(stored.bytes, ownKey, 0), receivedAt: stored.receivedAt };
  } catch {
    return undefined;
  }
}
