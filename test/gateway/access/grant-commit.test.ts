import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose';
import { describe, expect, it } from 'vitest';
import { MalformedJws, verifyEd25519Jws } from '../../../gateway/access/ed25519-jws.js';
import { openDatabase } from '../../../gateway/store/open-database.js';
import { ReplayCache } from '../../../gateway/store/replay-cache.js';
import { TimeFloor } from '../../../gateway/store/time-floor.js';
import { distEntry } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * What the unlock path does to answer sooner (issue 22) without giving anything up: the grant's
 * writes (replay claim, time floor, access.granted) synced by one fsync, the first outcome left to
 * the next synchronous commit, and Ed25519 tokens verified in the calling tick.
 */

describe('Ed25519 compact JWS, verified with node:crypto', () => {
  const sign = async (header: Record<string, unknown> = {}): Promise<{ token: string; key: CryptoKey; other: CryptoKey }> => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { publicKey: other } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT({ res: 'main-door', jti: 'j-1' }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', ...header }).sign(privateKey);
    return { token, key: publicKey, other };
  };

  it('returns the payload of a token signed by the key, and nothing for another key or a changed token', async () => {
    const { token, key, other } = await sign();
    expect(JSON.parse(new TextDecoder().decode(verifyEd25519Jws(token, key)))).toMatchObject({ res: 'main-door', jti: 'j-1' });
    // The same key again (its KeyObject is kept), then another key: not verified.
    expect(verifyEd25519Jws(token, key)).toBeDefined();
    expect(verifyEd25519Jws(token, other)).toBeUndefined();
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = Buffer.from(p, 'base64url').toString().replace('main-door', 'back-door');
    expect(verifyEd25519Jws(`${h}.${Buffer.from(payload).toString('base64url')}.${s}`, key)).toBeUndefined();
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(verifyEd25519Jws(`${h}.${p}.${flipped.toString('base64url')}`, key)).toBeUndefined();
  });

  it('refuses what cannot be checked: not three base64url parts, a header that is no object, crit, a signature of the wrong size', async () => {
    const { token, key } = await sign();
    const [h, p, s] = token.split('.') as [string, string, string];
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const malformed = [`${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}.${p}.${s}=`, `${h}..${s}`, `${b64([1, 2])}.${p}.${s}`, `${Buffer.from('{not json').toString('base64url')}.${p}.${s}`];
    for (const t of malformed) expect(() => verifyEd25519Jws(t, key), t).toThrow(MalformedJws);
    const { token: critical, key: criticalKey } = await sign({ crit: ['b64'], b64: true });
    expect(() => verifyEd25519Jws(critical, criticalKey)).toThrow(MalformedJws);
    // A truncated signature either cannot be checked or does not verify; it never passes.
    let short: Uint8Array | undefined;
    try {
      short = verifyEd25519Jws(`${h}.${p}.${s.slice(0, 40)}`, key);
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedJws);
    }
    expect(short).toBeUndefined();
  });
});

describe('ReplayCache.claimBefore: claim, floor and record, one sync', () => {
  const withCache = (run: (cache: ReplayCache, db: BetterSqlite3.Database, path: string) => void): void => {
    const dir = tempDir();
    const path = join(dir.path, 'gateway.db');
    const { db } = openDatabase(path);
    try {
      run(new ReplayCache(db), db, path);
    } finally {
      db.close();
      dir.remove();
    }
  };
  const later = new Date(Date.now() + 60_000);

  it('runs alongside and record on a first claim; on a repeat alongside only; synchronous=FULL after either', () => {
    withCache((cache, db) => {
      const calls: string[] = [];
      const writes = { alongside: () => calls.push('alongside'), record: () => calls.push('record') };
      expect(cache.claimBefore('j-1', later, writes)).toEqual({ first: true });
      expect(calls).toEqual(['alongside', 'record']);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      cache.settle('j-1', { result: { door: 1 } });
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      calls.length = 0;
      expect(cache.claimBefore('j-1', later, writes)).toMatchObject({ first: false, result: { result: { door: 1 } } });
      expect(calls).toEqual(['alongside']);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    });
  });

  it('a record that throws leaves the token spent and the level put back', () => {
    withCache((cache, db, path) => {
      expect(() =>
        cache.claimBefore('j-2', later, {
          record: () => {
            throw new Error('disk full');
          },
        }),
      ).toThrow('disk full');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      // Committed, not just in this connection's transaction: another connection sees the claim.
      const reader = new BetterSqlite3(path, { readonly: true });
      try {
        expect(reader.prepare('SELECT jti FROM replay_cache WHERE jti = ?').get('j-2')).toEqual({ jti: 'j-2' });
      } finally {
        reader.close();
      }
      expect(cache.claimBefore('j-2', later, { record: () => undefined }).first).toBe(false);
    });
  });

  it('claim, grant event and first outcome survive a kill -9 right after the reply would go', () => {
    const dir = tempDir();
    const path = join(dir.path, 'gateway.db');
    try {
      // The compiled store, as a box runs it (global setup builds dist/); killed by its own hand.
      const script = `
        const { StationStore } = await import(${JSON.stringify(pathToFileURL(distEntry('gateway', 'store', 'station-store.js')).href)});
        const { silentLogger } = await import(${JSON.stringify(pathToFileURL(distEntry('gateway', 'runtime', 'logger.js')).href)});
        const store = new StationStore(${JSON.stringify(path)}, silentLogger());
        store.start();
        const claimed = store.replayCache.claimBefore('j-kill', new Date(Date.now() + 60000), {
          alongside: () => store.timeFloor.raise(new Date('2026-12-02T06:00:00Z'), 'token'),
          record: () => store.outbox.append({ type: 'access.granted', device: 'lock-1', data: { jti: 'j-kill' } }),
        });
        if (!claimed.first) process.exit(3);
        store.replayCache.settle('j-kill', { result: { door: 1 } });
        process.kill(process.pid, 'SIGKILL');
      `;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const { db } = openDatabase(path);
      try {
        const cache = new ReplayCache(db);
        expect(cache.lookup('j-kill')).toMatchObject({ result: { result: { door: 1 } } });
        expect(db.prepare("SELECT type, device FROM events WHERE type = 'access.granted'").all()).toEqual([{ type: 'access.granted', device: 'lock-1' }]);
        expect(new TimeFloor(db).get()).toEqual({ at: new Date('2026-12-02T06:00:00Z'), source: 'token' });
        expect(cache.claimBefore('j-kill', new Date(Date.now() + 60000), { record: () => undefined }).first).toBe(false);
      } finally {
        db.close();
      }
    } finally {
      dir.remove();
    }
  });
});
