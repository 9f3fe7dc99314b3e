import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenVerifier } from '../../../gateway/access/token-verifier.js';
import type { ClockReading } from '../../../gateway/access/clock-trust.js';
import { loadTrustedKeys } from '../../../config/trusted-keys.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { anchorPath } from '../../../gateway/store/store-anchor.js';
import { StationStore } from '../../../gateway/store/station-store.js';
import { generateIssuerKey, issueToken, writeTrustedKeys } from '../../../simulators/cloud/token-issuer.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * A database lost under the store (deleted, truncated to 0 bytes with its WAL gone, damaged and
 * moved aside) is told from a first boot by the anchor beside it: the store reports it, restores
 * the time floor, and refuses every token issued before the reset (the replay cache is gone).
 */

let dir: ReturnType<typeof tempDir>;
let path: string;
const open: StationStore[] = [];
let clock = new Date('2026-12-01T10:00:00Z');

beforeEach(() => {
  dir = tempDir('station-store-reset-');
  path = join(dir.path, 'gateway.db');
  clock = new Date('2026-12-01T10:00:00Z');
});
afterEach(() => {
  for (const s of open.splice(0)) s.stop();
  dir.remove();
});

const start = (): StationStore => {
  const s = new StationStore(path, silentLogger(), () => clock);
  s.start();
  open.push(s);
  return s;
};
const stop = (s: StationStore): void => {
  s.stop();
  open.splice(open.indexOf(s), 1);
};
const removeDatabase = (): void => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
};

describe('a lost database', () => {
  it('a first boot is not a loss; a restart on the same file neither', () => {
    const first = start();
    expect(first.lost).toBeUndefined();
    expect(first.resetAt).toBeUndefined();
    expect(existsSync(anchorPath(path))).toBe(true);
    first.nextBootCount();
    stop(first);
    const again = start();
    expect(again.lost).toBeUndefined();
    expect(again.resetAt).toBeUndefined();
  });

  it('a deleted database is reported as lost, the floor comes back from the anchor and the reset is the floor for tokens', () => {
    const first = start();
    first.timeFloor.raise(new Date('2026-12-01T10:00:00Z'), 'ntp');
    first.housekeep({ retainDays: 90, maxBytes: 64 * 1024 * 1024 }); // the anchor follows the floor
    stop(first);
    removeDatabase();
    clock = new Date('2026-12-01T10:05:00Z');
    const after = start();
    expect(after.lost).toMatchObject({ reason: 'missing' });
    expect(after.resetAt).toEqual(clock);
    expect(after.timeFloor.get()?.at).toEqual(new Date('2026-12-01T10:00:00Z'));
    // The reset itself survives a restart on the new file, and is not a loss again.
    stop(after);
    const later = start();
    expect(later.lost).toBeUndefined();
    expect(later.resetAt).toEqual(clock);
  });

  it('a 0-byte database with its WAL gone is a loss, not a first boot', () => {
    stop(start());
    truncateSync(path, 0);
    for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
    expect(start().lost).toMatchObject({ reason: 'empty' });
  });

  it('a database of another life put in its place is a loss too', () => {
    stop(start());
    const anchor = readFileSync(anchorPath(path), 'utf8');
    removeDatabase();
    stop(start()); // a fresh life, then the old anchor comes back (a restored backup of the wrong file)
    writeFileSync(anchorPath(path), anchor);
    expect(start().lost).toMatchObject({ reason: 'replaced' });
  });

  it('a damaged file moved aside is a reset as well', () => {
    stop(start());
    writeFileSync(path, 'this is not a database, it is garbage '.repeat(200));
    for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
    clock = new Date('2026-12-01T11:00:00Z');
    const after = start();
    expect(after.movedAside).toBeDefined();
    expect(after.resetAt).toEqual(clock);
  });

  it('no token issued before the reset verifies, whatever the clock says', async () => {
    const key = await generateIssuerKey('k-reset');
    const file = join(dir.path, 'keys.json');
    writeTrustedKeys(file, [key]);
    const reset = new Date('2026-12-01T10:05:00Z');
    const verifier = new TokenVerifier({ stationId: 'st-1', keys: await loadTrustedKeys(file), maxTokenSeconds: 300, skewSeconds: 60, untrustedClock: 'floor', issuedAfter: () => reset });
    const trusted: ClockReading = { now: new Date('2026-12-01T10:05:30Z'), trusted: true, reason: 'synchronised', floor: undefined };
    const before = await issueToken(key, { station: 'st-1', res: 'main-door', act: 'unlock', issuedAt: new Date('2026-12-01T10:04:00Z') });
    await expect(verifier.verify(before, trusted)).rejects.toMatchObject({ code: 'EXPIRED' });
    const fresh = await issueToken(key, { station: 'st-1', res: 'main-door', act: 'unlock', issuedAt: new Date('2026-12-01T10:05:10Z') });
    await expect(verifier.verify(fresh, trusted)).resolves.toMatchObject({ res: 'main-door' });
  });
});
