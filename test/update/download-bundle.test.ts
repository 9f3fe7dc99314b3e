import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { downloadBundle, type DownloadOptions } from '../../gateway/update/download-bundle.js';
import { TokenBucket } from '../../gateway/update/throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { mountTmpfs, unmount } from '../chaos/tmpfs.js';
import { freePort } from '../helpers/free-port.js';
import { makeTestPki, startHttpsTestServer, type HttpsTestServer } from '../helpers/https-test-server.js';
import { runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The station's bundle download against a real HTTPS server with its own CA on 127.0.0.1, made to
 * misbehave: cut mid-way, ignoring ranges, an endless body, other bytes, another CA, a stall, a
 * process killed with kill -9 mid-download, a full disk.
 */

const KiB = 1024;
const SIZE = 600 * KiB;
let dir: ReturnType<typeof tempDir>;
let server: HttpsTestServer;
let bundle: Buffer;
let sha: string;
let n = 0;
const mounts: string[] = [];

beforeAll(async () => {
  dir = tempDir('download-bundle-');
  const served = join(dir.path, 'served');
  mkdirSync(served);
  bundle = randomBytes(SIZE);
  sha = createHash('sha256').update(bundle).digest('hex');
  writeFileSync(join(served, 'bundle.tar.gz'), bundle);
  writeFileSync(join(served, 'other.tar.gz'), randomBytes(SIZE));
  server = await startHttpsTestServer({ root: served });
});

afterEach(() => {
  server.reset();
  for (const m of mounts.splice(0)) unmount(m);
});

afterAll(async () => {
  await server?.close();
  dir?.remove();
});

/** A fresh destination and the options of a download of the served bundle. */
function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    url: server.url('/bundle.tar.gz'),
    dest: join(dir.path, `dl-${++n}.tar.gz`),
    expectedBytes: SIZE,
    sha256: sha,
    maxBytes: 10 * 1024 * KiB,
    ca: server.caPem,
    retryDelayMs: 10,
    stallMs: 10_000,
    ...extra,
  };
}

const sent = (): number => server.requests.reduce((sum, r) => sum + r.bytesSent, 0);
const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : -1);
const refusal = (code: string, message?: RegExp): unknown => expect.objectContaining({ name: 'UpdateError', code, ...(message ? { message: expect.stringMatching(message) } : {}) });

describe('downloadBundle', () => {
  it('downloads over HTTPS checked against the given CA, renames the checked .part into place, reports progress', async () => {
    const o = options();
    const progress: number[] = [];
    const result = await downloadBundle({ ...o, onProgress: (bytes, total) => (expect(total).toBe(SIZE), progress.push(bytes)) });
    expect(result).toEqual({ file: o.dest, bytes: SIZE, resumedFrom: 0, attempts: 1 });
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
    expect(existsSync(`${o.dest}.part`)).toBe(false);
    expect(server.requests).toEqual([{ path: '/bundle.tar.gz', range: undefined, status: 200, bytesSent: SIZE }]);
    expect(progress.at(-1)).toBe(SIZE);
    // Called again for a file already in place: nothing is fetched.
    expect(await downloadBundle(o)).toMatchObject({ attempts: 0, bytes: SIZE });
    expect(server.requests).toHaveLength(1);
  });

  it('keeps to a bandwidth cap: 600 KiB at 200 KiB/s take at least (600 - burst - one chunk) / 200 seconds', async () => {
    const rate = 200 * KiB;
    const started = performance.now();
    await downloadBundle(options({ bytesPerSecond: rate }));
    const seconds = (performance.now() - started) / 1000;
    // The bucket starts with a quarter second's burst (50 KiB); the last chunk passes before its wait (≤ 64 KiB).
    const floor = (SIZE - rate / 4 - 64 * KiB) / rate;
    process.stdout.write(`cap 200 KiB/s over ${SIZE / KiB} KiB: ${seconds.toFixed(2)} s, ${(SIZE / KiB / seconds).toFixed(0)} KiB/s achieved (floor ${floor.toFixed(2)} s)\n`);
    expect(seconds).toBeGreaterThanOrEqual(floor);
  });

  it('resumes by Range after the server cuts the connection mid-way, fetching the file about once, not twice', async () => {
    server.switches.cutAfterBytes = 256 * KiB;
    server.switches.cutResponses = 1;
    const o = options();
    const result = await downloadBundle(o);
    expect(result.attempts).toBe(2);
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.range).toBeUndefined();
    const from = Number(/^bytes=(\d+)-$/.exec(server.requests[1]?.range ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(256 * KiB);
    expect(server.requests[1]?.status).toBe(206);
    process.stdout.write(`cut at 256 KiB: resumed from ${from} bytes, ${sent()} bytes sent in all for ${SIZE}\n`);
    expect(sent()).toBeGreaterThanOrEqual(SIZE);
    expect(sent()).toBeLessThanOrEqual(SIZE + 256 * KiB - from);
  });

  it('resumes across calls: a .part left by a call the station aborted', async () => {
    server.switches.bytesPerSecond = 256 * KiB;
    const o = options();
    const stop = new AbortController();
    const aborted = downloadBundle({ ...o, signal: stop.signal, onProgress: (bytes) => bytes >= 100 * KiB && stop.abort() });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    const kept = sizeOf(`${o.dest}.part`);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SIZE);
    server.switches.bytesPerSecond = undefined;
    const result = await downloadBundle(o);
    expect(result).toMatchObject({ resumedFrom: kept, attempts: 1 });
    expect(server.requests.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
  });

  it('resumes across processes: a .part left by a station process killed with kill -9 mid-download', async () => {
    // The server sends slowly, so the child is still downloading when it is killed.
    server.switches.bytesPerSecond = 128 * KiB;
    const o = options();
    const caFile = join(dir.path, 'ca.pem');
    writeFileSync(caFile, server.caPem);
    const child = runNode(join(packageRoot(), 'test', 'update', 'fixtures-download', 'download-child.mjs'), [
      JSON.stringify({ url: o.url, dest: o.dest, expectedBytes: o.expectedBytes, sha256: o.sha256, maxBytes: o.maxBytes, caFile }),
    ]);
    try {
      const reached = (): number => Math.max(0, ...[...child.output().matchAll(/progress (\d+)/g)].map((m) => Number(m[1])));
      await waitFor(() => reached() >= 128 * KiB, 20_000, 'the child to have 128 KiB');
      await child.kill();
    } finally {
      await child.stop();
    }
    expect(child.output()).not.toMatch(/done/);
    expect((await child.exited).signal).toBe('SIGKILL');
    const kept = sizeOf(`${o.dest}.part`);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SIZE);
    server.switches.bytesPerSecond = undefined;
    const result = await downloadBundle(o);
    expect(result).toMatchObject({ resumedFrom: kept, attempts: 1 });
    expect(server.requests.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
    process.stdout.write(`kill -9 at ${kept} bytes on disk: resumed there; ${sent()} bytes sent in all for ${SIZE}\n`);
    expect(sent()).toBeLessThan(2 * SIZE);
  });

  it('starts over when the server ignores Range, and still succeeds', async () => {
    const o = options();
    writeFileSync(`${o.dest}.part`, bundle.subarray(0, 100 * KiB));
    server.switches.honourRange = false;
    const result = await downloadBundle(o);
    expect(result).toMatchObject({ resumedFrom: 0, attempts: 1 });
    expect(server.requests).toEqual([{ path: '/bundle.tar.gz', range: `bytes=${100 * KiB}-`, status: 200, bytesSent: SIZE }]);
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
  });

  it('a body cut on every attempt: UPDATE_DOWNLOAD_FAILED after the attempts, the .part kept for the next try', async () => {
    server.switches.cutAfterBytes = 100 * KiB;
    const o = options({ attempts: 3 });
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /after 3 attempts/));
    expect(server.requests).toHaveLength(3);
    expect(server.requests.slice(1).every((r) => /^bytes=\d+-$/.test(r.range ?? ''))).toBe(true);
    const kept = sizeOf(`${o.dest}.part`);
    expect(kept).toBeGreaterThan(100 * KiB);
    expect(kept).toBeLessThanOrEqual(300 * KiB);
    expect(existsSync(o.dest)).toBe(false);
    // The next call resumes it once the server behaves.
    server.switches.cutAfterBytes = undefined;
    expect(await downloadBundle(o)).toMatchObject({ resumedFrom: kept });
  });

  it('an endless body is cut at the document\'s size: UPDATE_TOO_LARGE, the .part removed', async () => {
    server.switches.endless = true;
    const o = options();
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_TOO_LARGE', /more than the document's/));
    expect(existsSync(`${o.dest}.part`)).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('a server with a longer file than the document says: UPDATE_TOO_LARGE from its Content-Length, before the body', async () => {
    const o = options({ expectedBytes: SIZE - 1 });
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_TOO_LARGE', new RegExp(`has ${SIZE} bytes`)));
    expect(existsSync(`${o.dest}.part`)).toBe(false);
  });

  it('a bundle larger than the station allows is refused before a byte is fetched', async () => {
    await expect(downloadBundle(options({ maxBytes: SIZE - 1 }))).rejects.toEqual(refusal('UPDATE_TOO_LARGE', /update.maxBundleBytes/));
    await expect(downloadBundle(options({ url: server.url('/bundle.tar.gz').replace('https:', 'http:') }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /https only/));
    expect(server.requests).toHaveLength(0);
  });

  it('other bytes than the document names: UPDATE_BAD_HASH, the .part deleted', async () => {
    server.switches.serveInstead = '/other.tar.gz';
    const o = options();
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_BAD_HASH', new RegExp(sha)));
    expect(existsSync(`${o.dest}.part`)).toBe(false);
    expect(existsSync(o.dest)).toBe(false);
  });

  it('a server certificate from another CA: UPDATE_DOWNLOAD_FAILED naming TLS, not retried', async () => {
    const other = makeTestPki(join(dir.path, 'other-ca'), 'someone-else');
    await expect(downloadBundle(options({ ca: other.caPem }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^TLS: the certificate of 127\.0\.0\.1:\d+ did not verify/));
    // Not one request got past the handshake; and with Node's own CAs it does not verify either.
    expect(server.requests).toHaveLength(0);
    await expect(downloadBundle(options({ ca: undefined }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^TLS/));
  });

  it('a server that stalls: UPDATE_DOWNLOAD_STALLED after the attempts, what arrived kept', async () => {
    server.switches.stallAfterBytes = 64 * KiB;
    const o = options({ stallMs: 300, attempts: 2 });
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_DOWNLOAD_STALLED', /no byte from 127\.0\.0\.1:\d+ for 300 ms/));
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(sizeOf(`${o.dest}.part`)).toBeGreaterThan(0);
  });

  it('a cap slower than the stall time is not taken for a stall (the response is held, not stalled)', async () => {
    // 16 KiB/s with a 16 KiB burst: after each TLS record of up to 16 KiB the stream is held up to a second, longer than stallMs.
    const o = options({ bytesPerSecond: 16 * KiB, stallMs: 200 });
    // Stopped by the test after 3 s, not by the watchdog: one request, never retried as stalled.
    await expect(downloadBundle({ ...o, signal: AbortSignal.timeout(3_000) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sizeOf(`${o.dest}.part`)).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
  });

  it('HTTP errors: a 404 is not retried, a 503 is, both UPDATE_DOWNLOAD_FAILED naming the status', async () => {
    await expect(downloadBundle(options({ url: server.url('/missing.tar.gz') }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^HTTP 404 from/));
    expect(server.requests).toHaveLength(1);
    server.reset();
    server.switches.status = 503;
    await expect(downloadBundle(options({ attempts: 3 }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^HTTP 503 .*after 3 attempts/));
    expect(server.requests).toHaveLength(3);
  });

  it('a refused connection is retried and named', async () => {
    const port = await freePort();
    const o = options({ url: `https://127.0.0.1:${port}/bundle.tar.gz`, attempts: 2 });
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^connect: 127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\).*after 2 attempts/));
  });

  it('a name that does not resolve (.invalid never does) is named as DNS', async () => {
    await expect(downloadBundle(options({ url: 'https://bundles.station-test.invalid/b.tar.gz', attempts: 1 }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /^DNS: bundles\.station-test\.invalid did not resolve/));
  });

  it('follows up to 3 redirects, to https only', async () => {
    server.redirect('/a', '/b');
    server.redirect('/b', server.url('/bundle.tar.gz'));
    const o = options({ url: server.url('/a') });
    await downloadBundle(o);
    expect(readFileSync(o.dest).equals(bundle)).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual(['/a', '/b', '/bundle.tar.gz']);
    server.reset();
    server.redirect('/plain', server.url('/bundle.tar.gz').replace('https:', 'http:'));
    await expect(downloadBundle(options({ url: server.url('/plain') }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /redirected to http/));
    server.reset();
    for (const [from, to] of [['/1', '/2'], ['/2', '/3'], ['/3', '/4'], ['/4', '/bundle.tar.gz']]) server.redirect(from as string, to as string);
    await expect(downloadBundle(options({ url: server.url('/1') }))).rejects.toEqual(refusal('UPDATE_DOWNLOAD_FAILED', /more than 3 redirects/));
  });

  it('a complete .part from before a kill is checked without a request; one with other bytes is fetched again', async () => {
    const o = options();
    writeFileSync(`${o.dest}.part`, bundle);
    expect(await downloadBundle(o)).toEqual({ file: o.dest, bytes: SIZE, resumedFrom: SIZE, attempts: 0 });
    expect(server.requests).toHaveLength(0);
    const p = options();
    writeFileSync(`${p.dest}.part`, randomBytes(SIZE));
    expect(await downloadBundle(p)).toMatchObject({ resumedFrom: 0, attempts: 1 });
    expect(readFileSync(p.dest).equals(bundle)).toBe(true);
  });

  it('a full disk: UPDATE_DISK_FULL and the .part removed', async (ctx) => {
    const small = join(dir.path, 'small-disk');
    mkdirSync(small);
    const cannot = mountTmpfs(small, '256k');
    if (cannot) return ctx.skip(cannot);
    mounts.push(small);
    const o = options({ dest: join(small, 'bundle.tar.gz') });
    await expect(downloadBundle(o)).rejects.toEqual(refusal('UPDATE_DISK_FULL', /no space left/));
    expect(existsSync(`${o.dest}.part`)).toBe(false);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then holds for exactly as long as the debt takes to pay back', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(100 * KiB, clock);
    expect(bucket.burstBytes).toBe(25 * KiB);
    expect(bucket.take(25 * KiB)).toBe(0);
    expect(bucket.take(10 * KiB)).toBe(100);
    clock.advance(100);
    expect(bucket.take(0)).toBe(0);
    // An idle spell refills it to the burst, never more.
    clock.advance(60_000);
    expect(bucket.take(25 * KiB)).toBe(0);
    expect(bucket.take(KiB)).toBe(10);
  });

  it('over a long run passes no more than burst + rate × time + one chunk', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(64 * KiB, clock);
    const start = clock.now();
    let passed = 0;
    for (let i = 0; i < 1000; i++) {
      const chunk = 1 + ((i * 7919) % (16 * KiB));
      passed += chunk;
      clock.advance(bucket.take(chunk));
      expect(passed).toBeLessThanOrEqual(bucket.burstBytes + ((clock.now() - start) * 64 * KiB) / 1000 + 16 * KiB);
    }
    expect(passed / ((clock.now() - start) / 1000)).toBeGreaterThan(0.95 * 64 * KiB);
  });
});
