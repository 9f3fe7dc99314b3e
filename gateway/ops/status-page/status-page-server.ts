import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { MIN_STATUS_PAGE_PASSWORD } from '../../../config/named-file-checks.js';
import { packageRoot } from '../../../config/package-root.js';
import type { HealthMonitor } from '../health-monitor.js';
import { startHttpServer, type RunningHttpServer } from '../local-http-server.js';
import type { StationView } from '../station-view.js';
import { basicAuthMatches } from './basic-auth.js';
import { EventStreams, type EventStreamLimits } from './event-streams.js';
import { FailedLoginLog } from './failed-login-log.js';
import { LoginThrottle, type LoginCounts } from './login-throttle.js';
import { RecentEvents, statusSnapshot } from './status-snapshot.js';

export interface StatusPageOptions {
  listen: string;
  user: string;
  passwordFile: string;
  view: StationView;
  health: HealthMonitor;
  log: Logger;
  /** How often open pages get a fresh snapshot (default 1 s); events and alarms push at once. */
  pushEveryMs?: number;
  /** Failed-login throttle; pass one in to keep its state (and counts) across a reload. */
  throttle?: LoginThrottle;
  streamLimits?: EventStreamLimits;
  /** Window of the failed-login summary lines (default 60 s). */
  failedLoginLogMs?: number;
}

export interface RunningStatusPage extends RunningHttpServer {
  loginCounts(): LoginCounts;
  /** Event streams closed because their client stopped reading. */
  droppedStreams(): number;
}

export class StatusPagePasswordError extends Error {
  override readonly name = 'StatusPagePasswordError';
  readonly code = 'STATUS_PAGE_PASSWORD';
}

const ASSETS: Record<string, string> = { '/': 'index.html', '/status.css': 'status.css', '/status.js': 'status.js' };
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
const RECENT_EVENTS = 20;

/**
 * The crew's status page on the station LAN: plain HTML, CSS and JS served from the gateway,
 * one JSON snapshot at /api/status and the same snapshot pushed over Server-Sent Events at
 * /api/stream. Everything is behind basic auth; a page without a password is never served.
 */
export async function startStatusPage(options: StatusPageOptions): Promise<RunningStatusPage> {
  const password = readFileSync(options.passwordFile, 'utf8').split('\n')[0]?.trim() ?? '';
  if (password.length < MIN_STATUS_PAGE_PASSWORD) throw new StatusPagePasswordError(`${options.passwordFile}: the status page password must be at least ${MIN_STATUS_PAGE_PASSWORD} characters`);
  const dir = join(packageRoot(), 'gateway', 'ops', 'status-page', 'assets');
  const assets = new Map(Object.entries(ASSETS).map(([path, file]) => [path, { body: readFileSync(join(dir, file)), type: TYPES[file.split('.').pop() ?? ''] ?? 'text/plain' }]));
  const { view, health, log } = options;
  const recent = new RecentEvents(RECENT_EVENTS);
  const streams = new EventStreams(options.streamLimits);
  const throttle = options.throttle ?? new LoginThrottle();
  const failedLog = new FailedLoginLog(log, options.failedLoginLogMs);
  const snapshotJson = (): string => JSON.stringify(statusSnapshot(view, health.current(), recent));
  const push = (): void => {
    if (streams.size === 0) return;
    streams.broadcast(`event: status\ndata: ${snapshotJson()}\n\n`);
  };
  const unsubscribe = [
    view.onEvent((e) => {
      recent.add(e);
      push();
    }),
    view.onAlarms(() => push()),
  ];
  const timer = setInterval(push, options.pushEveryMs ?? 1000);
  timer.unref();

  const server = await startHttpServer(options.listen, (req: IncomingMessage, res: ServerResponse) => {
    const client = clientOf(req);
    // A request without credentials guesses nothing (a browser's first request is one): plain 401.
    const tried = req.headers.authorization !== undefined;
    if (tried) {
      const verdict = throttle.check(client);
      if (!verdict.allowed) {
        failedLog.refusal(client);
        res.writeHead(429, { 'retry-after': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))), 'content-type': 'text/plain' }).end('too many failed logins; try again later\n');
        return;
      }
    }
    if (!basicAuthMatches(req.headers.authorization, options.user, password)) {
      if (tried) {
        throttle.failed(client);
        failedLog.failure(client);
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="station", charset="UTF-8"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    throttle.succeeded(client);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const asset = assets.get(path);
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (req.method !== 'GET') res.writeHead(405, { allow: 'GET' }).end();
    else if (asset) res.writeHead(200, { ...common, 'content-type': asset.type }).end(asset.body);
    else if (path === '/api/status') res.writeHead(200, { ...common, 'content-type': 'application/json' }).end(snapshotJson());
    else if (path === '/api/stream') {
      const admission = streams.admit(client);
      if (!admission.admitted) {
        const status = admission.scope === 'client' ? 429 : 503;
        res.writeHead(status, { ...common, 'retry-after': '10', 'content-type': 'text/plain' }).end(admission.scope === 'client' ? 'too many live streams from this address\n' : 'too many live streams\n');
        return;
      }
      res.writeHead(200, { ...common, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write(`retry: 3000\nevent: status\ndata: ${snapshotJson()}\n\n`);
      streams.add(client, res);
    } else res.writeHead(404, { ...common, 'content-type': 'text/plain' }).end('not found\n');
  });
  return {
    url: server.url,
    port: server.port,
    loginCounts: () => throttle.counts(),
    droppedStreams: () => streams.droppedSlow,
    close: async () => {
      clearInterval(timer);
      for (const u of unsubscribe) u();
      streams.closeAll();
      failedLog.stop();
      await server.close();
    },
  };
}

/** The client's address; an IPv4 client on a dual-stack socket is the same client as over IPv4. */
function clientOf(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
