import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { tempDir } from './temp-dir.js';

/*
 * A real HTTPS file server on 127.0.0.1 with a CA of its own, made by OpenSSL, for the update
 * tests: the station's downloader checks the server against that CA as it would the fleet's. A
 * test flips switches to make the server misbehave the ways a download must survive.
 */

/** A CA and a server certificate for 127.0.0.1 and localhost signed by it (P-256, valid 2 days). */
export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Makes a test CA and its server certificate in `dir` with `openssl`. */
export function makeTestPki(dir: string, name = 'station-test'): TestPki {
  mkdirSync(dir, { recursive: true });
  const at = (f: string): string => join(dir, f);
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', `/CN=${name} CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-extfile', at('server.ext'), '-out', at('server.pem')]);
  return { dir, caFile: at('ca.pem'), caPem: readFileSync(at('ca.pem'), 'utf8'), certPem: readFileSync(at('server.pem'), 'utf8'), keyPem: readFileSync(at('server.key'), 'utf8') };
}

/** How the server misbehaves; change them at any time, they apply from the next request. */
export interface ServeSwitches {
  /** Answer a Range request with 206 (true) or with the whole file, 200, as a server without range support does. */
  honourRange: boolean;
  /** Close the connection after this many body bytes of a response (a truncated download). */
  cutAfterBytes: number | undefined;
  /** How many responses from now are cut by cutAfterBytes (default every one). */
  cutResponses: number;
  /** Send this many body bytes, then nothing, the connection left open (a stalled server). */
  stallAfterBytes: number | undefined;
  /** A body that never ends: no Content-Length, the file and then zeros for as long as the client reads. */
  endless: boolean;
  /** Serve this path (under the root) whatever path is asked for. */
  serveInstead: string | undefined;
  /** Answer every request with this status and no body. */
  status: number | undefined;
  /** Send at most this many body bytes a second (a slow link); undefined = as fast as it goes. */
  bytesPerSecond: number | undefined;
}

export interface ServedRequest {
  path: string;
  /** The request's Range header, as sent. */
  range: string | undefined;
  status: number;
  /** Body bytes handed to the connection (including any still in flight when it was cut). */
  bytesSent: number;
}

export interface HttpsTestServer {
  readonly port: number;
  /** PEM of the CA the server's certificate chains to: what the client trusts. */
  readonly caPem: string;
  readonly pki: TestPki;
  /** https://127.0.0.1:<port><path> */
  url(path: string): string;
  readonly switches: ServeSwitches;
  /** Every request so far, in order. */
  readonly requests: ServedRequest[];
  /** Answers `from` with a 302 to `location` (absolute, or a path on this server). */
  redirect(from: string, location: string): void;
  /** Switches back to a well-behaved server and forgets the requests (between tests). */
  reset(): void;
  /** Ends every open connection (a stalled or endless one too) and stops listening. */
  close(): Promise<void>;
}

const CHUNK = 16 * 1024;

const wellBehaved = (): ServeSwitches => ({
  honourRange: true,
  cutAfterBytes: undefined,
  cutResponses: Number.POSITIVE_INFINITY,
  stallAfterBytes: undefined,
  endless: false,
  serveInstead: undefined,
  status: undefined,
  bytesPerSecond: undefined,
});

/**
 * Serves the files under `root` over HTTPS on 127.0.0.1 (a free port). Without `pki` it makes one
 * in a temporary folder that close() removes.
 */
export async function startHttpsTestServer(o: { root: string; pki?: TestPki }): Promise<HttpsTestServer> {
  const own = o.pki ? undefined : tempDir('https-test-pki-');
  const pki = o.pki ?? makeTestPki(own?.path ?? '');
  const root = resolve(o.root);
  const switches = wellBehaved();
  const requests: ServedRequest[] = [];
  const redirects = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => serve(req, res));

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://127.0.0.1').pathname);
    const entry: ServedRequest = { path, range: req.headers.range, status: 0, bytesSent: 0 };
    requests.push(entry);
    const answer = (status: number, headers: Record<string, string> = {}): void => {
      entry.status = status;
      res.writeHead(status, headers).end();
    };
    const to = redirects.get(path);
    if (to !== undefined) return answer(302, { location: to });
    if (switches.status !== undefined) return answer(switches.status);
    const file = resolve(root, `.${switches.serveInstead ?? path}`);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) return answer(404);
    const data = readFileSync(file);

    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { 'content-type': 'application/gzip' };
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (switches.honourRange) headers['accept-ranges'] = 'bytes';
    if (range && switches.honourRange) {
      start = Number(range[1]);
      if (start >= data.length) return answer(416, { 'content-range': `bytes */${data.length}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    }
    if (!switches.endless) headers['content-length'] = String(data.length - start);
    entry.status = status;
    res.writeHead(status, headers);

    const body = data.subarray(start);
    const cut = switches.cutAfterBytes !== undefined && switches.cutResponses > 0 ? switches.cutAfterBytes : undefined;
    if (cut !== undefined) switches.cutResponses--;
    const stall = switches.stallAfterBytes;
    const endless = switches.endless;
    const rate = switches.bytesPerSecond;
    const limit = Math.min(cut ?? Infinity, stall ?? Infinity);
    let sent = 0;
    const zeros = Buffer.alloc(CHUNK);

    const pump = (): void => {
      while (!res.destroyed) {
        // A stall: nothing more, ever, the connection left open.
        if (sent >= limit) return;
        const room = Math.min(CHUNK, limit - sent);
        const chunk = sent < body.length ? body.subarray(sent, sent + room) : endless ? zeros.subarray(0, room) : undefined;
        if (!chunk) return void res.end();
        sent += chunk.length;
        entry.bytesSent = sent;
        // A cut: the connection closes mid-body once the last byte before the cut is on its way.
        if (sent === cut) return void res.write(chunk, () => res.socket?.end());
        const more = res.write(chunk);
        if (rate !== undefined) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            // The drain may have come and gone while the timer ran.
            if (res.writableNeedDrain) res.once('drain', pump);
            else pump();
          }, (chunk.length * 1000) / rate);
          timers.add(timer);
          return;
        }
        if (!more) return void res.once('drain', pump);
      }
    };
    pump();
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    caPem: pki.caPem,
    pki,
    url: (path) => `https://127.0.0.1:${port}${path.startsWith('/') ? path : `/${path}`}`,
    switches,
    requests,
    redirect: (from, location) => void redirects.set(from, location),
    reset: () => {
      Object.assign(switches, wellBehaved());
      requests.splice(0);
      redirects.clear();
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      own?.remove();
    },
  };
}
