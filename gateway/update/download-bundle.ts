import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { dirname } from 'node:path';
import { keepAliveClock, type Clock } from '../../config/clock.js';
import { syncFolder } from '../../config/durable-write.js';
import { TokenBucket } from './throttle.js';
import { UpdateError } from './update-error.js';

export interface DownloadOptions {
  /** https only; redirects are followed up to 3 times, to https only. */
  url: string;
  /** The final file; the bytes go to `${dest}.part` until complete and checked, then it is renamed (durably). */
  dest: string;
  /** From the signed document: a longer body is cut off there and refused. */
  expectedBytes: number;
  /** From the signed document, lower-case hex. */
  sha256: string;
  /** The station's own limit (update.maxBundleBytes): a larger expectedBytes is refused before a byte is fetched. */
  maxBytes: number;
  /** PEM of the CA(s) the server's certificate must chain to; default Node's. */
  ca?: string | Buffer | undefined;
  /** Bandwidth cap (a metered 4G uplink); undefined = none. */
  bytesPerSecond?: number | undefined;
  /** No byte for this long ends the attempt as UPDATE_DOWNLOAD_STALLED; default 30 s. */
  stallMs?: number | undefined;
  /** Requests made before giving up, each resuming where the last stopped; default 5. */
  attempts?: number | undefined;
  /** The wait before the second attempt, doubled for each one after (to 30 s), jittered; default 1 s. */
  retryDelayMs?: number | undefined;
  /** The station stopping: the download ends at once with the signal's reason, the .part kept for the next start. */
  signal?: AbortSignal | undefined;
  /** Bytes in the .part of the total, at most 4 times a second and once at the end. */
  onProgress?: ((bytes: number, total: number) => void) | undefined;
  /** Default real time that keeps the process alive while a retry waits (the download is live work). */
  clock?: Clock | undefined;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  /** Bytes of a .part from before this call that were kept (0 when it started from nothing or the server made it start over). */
  resumedFrom: number;
  /** Requests made by this call (redirects not counted); 0 when the file was already complete. */
  attempts: number;
}

const DEFAULT_STALL_MS = 30_000;
const DEFAULT_ATTEMPTS = 5;
const DEFAULT_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;
const MAX_REDIRECTS = 3;
const PROGRESS_EVERY_MS = 250;

/** One attempt's end: whether another attempt may get further. */
class AttemptFailure {
  constructor(
    readonly error: UpdateError,
    readonly retry: boolean,
  ) {}
}

/**
 * A bundle over HTTPS into `dest`: resumed by HTTP Range from a `.part` left by an earlier attempt,
 * call or process (a kill -9 or a power cut), cut off at the document's size, capped in bandwidth,
 * checked against the document's sha256 as it lies on the disk, then renamed into place durably.
 */
export async function downloadBundle(o: DownloadOptions): Promise<DownloadResult> {
  const part = `${o.dest}.part`;
  checkRequest(o);
  o.signal?.throwIfAborted();
  if (sizeOf(o.dest) === o.expectedBytes && (await sha256Of(o.dest)) === o.sha256) {
    // Renamed into place before a kill: nothing to fetch again.
    return { file: o.dest, bytes: o.expectedBytes, resumedFrom: o.expectedBytes, attempts: 0 };
  }
  mkdirSync(dirname(o.dest), { recursive: true });
  const clock = o.clock ?? keepAliveClock;
  const state: DownloadState = { resumedFrom: 0, lastProgressAt: Number.NEGATIVE_INFINITY, bucket: o.bytesPerSecond ? new TokenBucket(o.bytesPerSecond, clock) : undefined };

  let have = sizeOf(part);
  if (have > o.expectedBytes) have = startOver(part);
  if (have === o.expectedBytes && (await sha256Of(part)) !== o.sha256) have = startOver(part); // not the bytes of this document: fetch them again
  state.resumedFrom = have;

  const tries = Math.max(1, o.attempts ?? DEFAULT_ATTEMPTS);
  let attempts = 0;
  let last: UpdateError | undefined;
  try {
    while ((have = sizeOf(part)) < o.expectedBytes) {
      if (attempts >= tries) {
        const why = last ?? new UpdateError('UPDATE_DOWNLOAD_FAILED', 'no attempt was made');
        throw new UpdateError(why.code, `${why.message} (gave up after ${attempts} attempts, ${have} of ${o.expectedBytes} bytes kept for the next try)`);
      }
      if (attempts > 0) await sleep(retryDelay(o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, attempts), clock, o.signal);
      attempts++;
      try {
        await attempt(o, part, have, clock, state);
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        if (!err.retry) throw err.error;
        last = err.error;
      }
    }
    if (have > o.expectedBytes) throw new UpdateError('UPDATE_TOO_LARGE', `${part} holds ${have} bytes, the document says ${o.expectedBytes}`);
    const actual = await sha256Of(part);
    if (actual !== o.sha256) throw new UpdateError('UPDATE_BAD_HASH', `the downloaded bundle's sha256 is ${actual}, the document says ${o.sha256}`);
    commit(part, o.dest);
  } catch (err) {
    // What cannot be the document's bundle, or filled the disk, goes; a broken or stopped download is kept to resume.
    if (err instanceof UpdateError && ['UPDATE_TOO_LARGE', 'UPDATE_BAD_HASH', 'UPDATE_DISK_FULL'].includes(err.code)) rmSync(part, { force: true });
    if (isErrno(err, 'ENOSPC')) {
      rmSync(part, { force: true });
      throw new UpdateError('UPDATE_DISK_FULL', `no space left for the bundle in ${dirname(part)}`);
    }
    throw err;
  }
  report(o, state, o.expectedBytes, clock, true);
  return { file: o.dest, bytes: o.expectedBytes, resumedFrom: state.resumedFrom, attempts };
}

interface DownloadState {
  resumedFrom: number;
  lastProgressAt: number;
  bucket: TokenBucket | undefined;
}

function checkRequest(o: DownloadOptions): void {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UpdateError('UPDATE_DOWNLOAD_FAILED', `not a URL: ${o.url}`);
  }
  if (url.protocol !== 'https:') throw new UpdateError('UPDATE_DOWNLOAD_FAILED', `a bundle is downloaded over https only, not ${url.protocol.replace(/:$/, '')}`);
  if (!Number.isSafeInteger(o.expectedBytes) || o.expectedBytes < 1) throw new UpdateError('UPDATE_DOWNLOAD_FAILED', `expectedBytes must be a positive integer, not ${o.expectedBytes}`);
  if (o.expectedBytes > o.maxBytes) throw new UpdateError('UPDATE_TOO_LARGE', `the bundle is ${o.expectedBytes} bytes, this station takes at most ${o.maxBytes} (update.maxBundleBytes)`);
  if (!/^[0-9a-f]{64}$/.test(o.sha256)) throw new UpdateError('UPDATE_DOWNLOAD_FAILED', 'sha256 must be 64 lower-case hex digits');
}

/** One request (and its redirects): appends to the .part, or starts it over when the server ignores the range. */
function attempt(o: DownloadOptions, part: string, have: number, clock: Clock, state: DownloadState): Promise<void> {
  const stallMs = o.stallMs ?? DEFAULT_STALL_MS;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let out: WriteStream | undefined;
    let written = have;
    let host = '';
    let cancelStall = (): void => {};
    let cancelHold = (): void => {};
    // Why the response is paused: the bucket's debt or the disk's backlog. A paused response is
    // not a stalled server, so the stall watchdog only counts time while nothing holds it.
    const holds = new Set<'throttle' | 'disk'>();

    const finish = (failure?: AttemptFailure | Error): void => {
      if (done) return;
      done = true;
      cancelStall();
      cancelHold();
      o.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      res?.destroy();
      const settle = (): void => (failure ? reject(failure) : resolve());
      // What reached the write stream goes to the .part before the next attempt measures it.
      if (out && !out.destroyed) out.end(settle);
      else settle();
    };
    const fail = (error: UpdateError, retry: boolean): void => finish(new AttemptFailure(error, retry));
    const onAbort = (): void => finish(abortReason(o.signal));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const armStall = (): void => {
      cancelStall();
      cancelStall = clock.after(stallMs, () => {
        if (holds.size > 0) return armStall();
        fail(new UpdateError('UPDATE_DOWNLOAD_STALLED', `no byte from ${host} for ${stallMs} ms (${written} of ${o.expectedBytes} bytes)`), true);
      });
    };
    const hold = (why: 'throttle' | 'disk'): void => {
      holds.add(why);
      res?.pause();
    };
    const release = (why: 'throttle' | 'disk'): void => {
      holds.delete(why);
      if (holds.size === 0 && !done) {
        armStall();
        res?.resume();
      }
    };

    const send = (url: URL, hops: number): void => {
      host = url.host;
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (have > 0) headers['range'] = `bytes=${have}-`;
      armStall();
      req = request(url, { method: 'GET', headers, agent: false, ...(o.ca !== undefined ? { ca: o.ca } : {}) }, (r) => {
        if (done) return void r.destroy();
        res = r;
        respond(url, hops, r);
      });
      req.on('error', (err) => {
        const f = networkFailure(err, url, written);
        fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', f.message), f.retry);
      });
      req.end();
    };

    const respond = (url: URL, hops: number, r: IncomingMessage): void => {
      const status = r.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && r.headers.location) {
        r.resume();
        let next: URL;
        try {
          next = new URL(r.headers.location, url);
        } catch {
          return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} redirected to an unreadable location`), false);
        }
        if (next.protocol !== 'https:') return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} redirected to ${next.protocol.replace(/:$/, '')}: a bundle is downloaded over https only`), false);
        if (hops >= MAX_REDIRECTS) return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `more than ${MAX_REDIRECTS} redirects, the last to ${next.host}`), false);
        req?.destroy();
        res = undefined;
        return send(next, hops + 1);
      }
      if (status === 416) {
        // Our .part is past the end of the server's file: not the file of this document, or a part gone wrong.
        rmSync(part, { force: true });
        state.resumedFrom = 0;
        return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} has no bytes from ${have} on (HTTP 416, ${r.headers['content-range'] ?? 'no content-range'}); starting over`), true);
      }
      if (status >= 400) {
        const retry = status >= 500 || status === 408 || status === 429;
        return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `HTTP ${status} from ${url.host} for ${url.pathname}`), retry);
      }
      let start: number;
      if (status === 206 && have > 0) {
        const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(r.headers['content-range'] ?? '');
        if (!range || Number(range[1]) !== have) {
          rmSync(part, { force: true });
          state.resumedFrom = 0;
          return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} answered bytes=${have}- with content-range ${r.headers['content-range'] ?? 'none'}; starting over`), true);
        }
        if (range[3] !== '*' && Number(range[3]) !== o.expectedBytes) return sizeMismatch(url, Number(range[3]));
        start = have;
      } else if (status === 200) {
        // The server ignores ranges (or we asked for none): the whole file from its first byte.
        const length = r.headers['content-length'];
        if (length !== undefined && Number(length) !== o.expectedBytes) return sizeMismatch(url, Number(length));
        start = 0;
        if (have > 0) state.resumedFrom = 0;
      } else {
        return fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `HTTP ${status} from ${url.host} for ${url.pathname}`), false);
      }
      written = start;
      // Room for a few TLS records: the response is held for the disk only when it really lags,
      // and what a broken connection had delivered is not left unread in a held response.
      out = createWriteStream(part, { flags: start === 0 ? 'w' : 'a', highWaterMark: 256 * 1024 });
      out.on('error', (err) => {
        if (isErrno(err, 'ENOSPC') || isErrno(err, 'EFBIG')) fail(new UpdateError('UPDATE_DISK_FULL', `no space left for the bundle in ${dirname(part)} (${written} of ${o.expectedBytes} bytes)`), false);
        else fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `cannot write ${part}: ${err.message}`), false);
      });
      armStall();
      r.on('data', (chunk: Buffer) => {
        if (done) return;
        armStall();
        if (written + chunk.length > o.expectedBytes) {
          return fail(new UpdateError('UPDATE_TOO_LARGE', `${url.host} sent more than the document's ${o.expectedBytes} bytes: cut off`), false);
        }
        written += chunk.length;
        if (out && !out.write(chunk)) {
          hold('disk');
          out.once('drain', () => release('disk'));
        }
        const wait = state.bucket?.take(chunk.length) ?? 0;
        if (wait > 0) {
          hold('throttle');
          cancelHold = clock.after(wait, () => release('throttle'));
        }
        report(o, state, written, clock, false);
      });
      r.on('end', () => {
        if (written === o.expectedBytes) finish();
        else fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} ended the body after ${written} of ${o.expectedBytes} bytes`), true);
      });
      r.on('error', () => fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `the connection to ${url.host} broke after ${written} of ${o.expectedBytes} bytes`), true));
      r.on('close', () => fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `the connection to ${url.host} closed after ${written} of ${o.expectedBytes} bytes`), true));
    };

    const sizeMismatch = (url: URL, serverBytes: number): void => {
      if (serverBytes > o.expectedBytes) return fail(new UpdateError('UPDATE_TOO_LARGE', `${url.host} has ${serverBytes} bytes for the bundle, the document says ${o.expectedBytes}`), false);
      fail(new UpdateError('UPDATE_DOWNLOAD_FAILED', `${url.host} has ${serverBytes} bytes for the bundle, the document says ${o.expectedBytes}: another file`), false);
    };

    if (o.signal?.aborted) return finish(abortReason(o.signal));
    send(new URL(o.url), 0);
  });
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** Why a request failed before or during its response, and whether trying again may help. */
function networkFailure(err: Error, url: URL, written: number): { message: string; retry: boolean } {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    // The same certificate will not verify on the next try either.
    return { message: `TLS: the certificate of ${url.host} did not verify (${code}: ${err.message})`, retry: false };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { message: `DNS: ${url.hostname} did not resolve (${code})`, retry: true };
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENETDOWN'].includes(code)) return { message: `connect: ${url.host} could not be reached (${code})`, retry: true };
  return { message: `the connection to ${url.host} broke after ${written} bytes (${code || err.message})`, retry: true };
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('the download was stopped', 'AbortError');
}

function report(o: DownloadOptions, state: DownloadState, bytes: number, clock: Clock, last: boolean): void {
  if (!o.onProgress) return;
  const now = clock.now();
  if (!last && now - state.lastProgressAt < PROGRESS_EVERY_MS) return;
  state.lastProgressAt = now;
  o.onProgress(bytes, o.expectedBytes);
}

/** Exponential, capped, with jitter: 12,000 stations that lost the same server do not come back in step. */
function retryDelay(first: number, failed: number): number {
  const base = Math.min(MAX_RETRY_DELAY_MS, first * 2 ** (failed - 1));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

function sleep(ms: number, clock: Clock, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal));
    };
    const cancel = clock.after(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The checked .part becomes the bundle: its data on the disk before its name, the name before we return. */
function commit(part: string, dest: string): void {
  const fd = openSync(part, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(part, dest);
  syncFolder(dirname(dest));
}

function startOver(part: string): number {
  rmSync(part, { force: true });
  return 0;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
}

/** Streamed: a bundle is up to 512 MB and the box may have less memory than that to spare. */
function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
