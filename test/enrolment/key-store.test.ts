import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore } from '../../gateway/enrolment/key-store.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('enrol-keys-');
});
afterEach(() => dir.remove());

describe('the station\'s keys on disk', () => {
  it('stages a pair beside the current one, switches to it in one step, and keeps the old until it is discarded', () => {
    const keys = new KeyStore(join(dir.path, 'keys'));
    expect(keys.current()).toBeUndefined();
    const first = keys.stage('KEY-1', 'CERT-1', new Date('2026-12-01T10:00:00Z'));
    expect(keys.activate(first)).toBeUndefined();
    expect(readFileSync(keys.paths.cert, 'utf8')).toBe('CERT-1');
    expect(readFileSync(keys.paths.key, 'utf8')).toBe('KEY-1');
    expect(statSync(keys.paths.key).mode & 0o777).toBe(0o600);

    const second = keys.stage('KEY-2', 'CERT-2', new Date('2027-11-01T10:00:00Z'));
    // Staged is not in use: the station still reads the first pair.
    expect(readFileSync(keys.paths.cert, 'utf8')).toBe('CERT-1');
    expect(keys.activate(second)).toBe(first);
    expect([readFileSync(keys.paths.cert, 'utf8'), readFileSync(keys.paths.key, 'utf8')]).toEqual(['CERT-2', 'KEY-2']);
    expect(readlinkSync(join(dir.path, 'keys', 'current'))).toBe(join('pairs', second));
    expect(keys.generations()).toEqual([first, second]);
    expect(() => keys.discard(second)).toThrow(/in use/);
    keys.discard(first);
    expect(keys.generations()).toEqual([second]);
  });

  it('is found from a station file\'s cloud.cert and cloud.key when they are its own, not for keys installed by hand', () => {
    const keys = new KeyStore(join(dir.path, 'keys'));
    expect(KeyStore.of(keys.paths)).toBeUndefined();
    keys.activate(keys.stage('KEY', 'CERT', new Date()));
    expect(KeyStore.of(keys.paths)?.dir).toBe(keys.dir);
    expect(KeyStore.of({ cert: keys.paths.cert })).toBeUndefined();
    expect(KeyStore.of({ cert: join(dir.path, 'keys', 'station.crt'), key: join(dir.path, 'keys', 'station.key') })).toBeUndefined();
  });
});
