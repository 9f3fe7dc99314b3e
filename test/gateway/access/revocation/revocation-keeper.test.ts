import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RevocationKeeper, revocationsFileFor } from '../../../../gateway/access/revocation/revocation-keeper.js';
import type { TrustedKeys } from '../../../../config/trusted-keys.js';
import { TrustedKeySet } from '../../../../gateway/access/trusted-key-set.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { capturingLog, HOUR, iso, listOf, message, revocationKeys, sign, signRaw, T0, writeText } from './revocation-fixture.js';

const revokedWorker = (sub: string) => listOf(1, { workers: [{ sub, before: iso(T0), until: iso(T0 + 24 * HOUR) }] });
const passOf = (sub: string) => ({ passId: 'BBBBBBBBBBBBBBBBBBBBBB', sub, iat: Math.floor((T0 - HOUR) / 1000) });

describe('RevocationKeeper', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('revocation-keeper-');
    file = revocationsFileFor(join(dir.path, 'data', 'gateway.db')) as string;
    mkdirSync(join(dir.path, 'data'));
  });
  afterEach(() => dir.remove());

  const keeper = (keys: TrustedKeys | TrustedKeySet, extra: Partial<ConstructorParameters<typeof RevocationKeeper>[0]> = {}) => {
    const { log, lines } = capturingLog();
    return { keeper: new RevocationKeeper({ file, keys, log, now: () => T0 + HOUR, ...extra }), lines };
  };

  it('keeps the list beside the database and honours it after a restart, verified again', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    expect(file).toBe(join(dir.path, 'data', 'revocations.jws'));
    const statuses: unknown[] = [];
    const first = keeper(keys, { onStatus: (s) => statuses.push(s) }).keeper;
    await first.start();
    expect(first.status()).toBeNull();
    expect(first.revoked(passOf('w-gone'))).toBeUndefined();
    const jws = await sign(key, revokedWorker('w-gone'));
    await first.offer(message(jws));
    expect(first.revoked(passOf('w-gone'))).toMatch(/worker w-gone was revoked/);
    expect(first.revoked(passOf('w-other'))).toBeUndefined();
    expect(readFileSync(file, 'utf8')).toBe(jws);
    expect(statuses).toEqual([null, { seq: 1, issuedAt: iso(T0), receivedAt: iso(T0 + HOUR) }]);
    first.stop();

    const again = keeper(keys).keeper;
    await again.start();
    expect(again.revoked(passOf('w-gone'))).toMatch(/revoked/);
    expect(again.status()).toMatchObject({ seq: 1, issuedAt: iso(T0) });
  });

  it('refuses a list whose seq is not greater than the kept one, and keeps its own', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { keeper: k, lines } = keeper(keys);
    await k.start();
    const old = await sign(key, listOf(1, { workers: [{ sub: 'w-a', before: iso(T0), until: iso(T0 + 24 * HOUR) }] }));
    await k.offer(message(await sign(key, listOf(2, { workers: [{ sub: 'w-b', before: iso(T0), until: iso(T0 + 24 * HOUR) }] }))));
    await k.offer(message(old));
    await k.offer(message(await sign(key, listOf(2))));
    expect(k.status()?.seq).toBe(2);
    expect(k.revoked(passOf('w-b'))).toMatch(/revoked/);
    expect(k.revoked(passOf('w-a'))).toBeUndefined();
    expect(k.counts()).toEqual({ accepted: 1, refused: { REVOCATION_NOT_NEWER: 2 } });
    expect(lines.filter((l) => l['code'] === 'REVOCATION_NOT_NEWER')).toHaveLength(2);
    // The retained message again on a reconnect: the list in use, taken silently.
    const current = readFileSync(file, 'utf8');
    await k.offer(message(current));
    expect(k.counts().refused.REVOCATION_NOT_NEWER).toBe(2);
  });

  it('refuses an oversized or malformed message, counted and logged, and keeps the list it has', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { keeper: k, lines } = keeper(keys);
    await k.start();
    await k.offer(message(await sign(key, revokedWorker('w-gone'))));
    await k.offer(Buffer.alloc(1024 * 1024 + 2048, 0x61));
    await k.offer(message(`${'e'.repeat(1024 * 1024)}.x.y`));
    await k.offer(Buffer.from('{not json'));
    await k.offer(message(await signRaw(key, { seq: 9, issuedAt: iso(T0), passes: new Array(20_001).fill({}), workers: [] })));
    await k.offer(Buffer.alloc(0));
    expect(k.counts()).toEqual({ accepted: 1, refused: { REVOCATION_TOO_LARGE: 3, REVOCATION_MALFORMED: 1 } });
    expect(lines.filter((l) => l['code'] === 'REVOCATION_TOO_LARGE')).toHaveLength(3);
    expect(k.status()?.seq).toBe(1);
    expect(k.revoked(passOf('w-gone'))).toMatch(/revoked/);
  });

  it('ignores entries past their until', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { keeper: k } = keeper(keys, { now: () => T0 + 25 * HOUR });
    await k.start();
    await k.offer(message(await sign(key, revokedWorker('w-gone'))));
    expect(k.status()?.seq).toBe(1);
    expect(k.revoked(passOf('w-gone'))).toBeUndefined();
  });

  it('runs with no list, logged with a code, when the kept file is corrupt or no longer verifies', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    writeText(file, 'garbage\n');
    const { keeper: k, lines } = keeper(keys);
    await k.start();
    expect(k.status()).toBeNull();
    expect(lines.find((l) => l['code'] === 'REVOCATION_FILE_DAMAGED')?.['err']).toMatch(/REVOCATION_MALFORMED/);
    // The fleet's list replaces it.
    await k.offer(message(await sign(key, revokedWorker('w-gone'))));
    expect(k.status()?.seq).toBe(1);

    // Signed by a key the station no longer trusts (rotated away while the gateway was down).
    const { keys: other } = await revocationKeys(dir.path, 'rotated');
    const { keeper: later, lines: laterLines } = keeper(other);
    await later.start();
    expect(later.status()).toBeNull();
    expect(laterLines.find((l) => l['code'] === 'REVOCATION_FILE_DAMAGED')?.['err']).toMatch(/REVOCATION_UNKNOWN_KEY/);
  });

  it('keeps the list when the keys are reloaded, and checks the next one with the new keys', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { key: next, keys: nextKeys } = await revocationKeys(dir.path, 'fleet-2027-01');
    const shared = new TrustedKeySet(keys);
    const { keeper: k } = keeper(shared);
    await k.start();
    await k.offer(message(await sign(key, revokedWorker('w-gone'))));
    shared.replace(nextKeys);
    expect(k.revoked(passOf('w-gone'))).toMatch(/revoked/);
    await k.offer(message(await sign(key, listOf(2))));
    expect(k.counts().refused).toEqual({ REVOCATION_UNKNOWN_KEY: 1 });
    await k.offer(message(await sign(next, listOf(3))));
    expect(k.status()?.seq).toBe(3);
  });

  it('honours a list it could not write, and says so', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    const { keeper: k, lines } = keeper(keys);
    await k.start();
    chmodSync(join(dir.path, 'data'), 0o500);
    try {
      await k.offer(message(await sign(key, revokedWorker('w-gone'))));
    } finally {
      chmodSync(join(dir.path, 'data'), 0o700);
    }
    expect(k.revoked(passOf('w-gone'))).toMatch(/revoked/);
    if (process.getuid?.() !== 0) {
      expect(existsSync(file)).toBe(false);
      expect(lines.some((l) => l['code'] === 'REVOCATION_NOT_SAVED')).toBe(true);
    }
  });

  it('follows the fleet topic from start to stop', async () => {
    const { key, keys } = await revocationKeys(dir.path);
    let listener: ((payload: Buffer) => void) | undefined;
    let detached = false;
    const { keeper: k } = keeper(keys, {
      follow: (l) => {
        listener = l;
        return () => void (detached = true);
      },
    });
    await k.start();
    listener?.(message(await sign(key, revokedWorker('w-gone'))));
    await expect.poll(() => k.status()?.seq).toBe(1);
    k.stop();
    expect(detached).toBe(true);
  });
});
