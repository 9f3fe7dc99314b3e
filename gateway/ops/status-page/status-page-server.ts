import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { packageRoot } from '../../../config/package-root.js';
import type { HealthMonitor } from '../health-monitor.js';
import { startHttpServer, type RunningHttpServer } from '../local-http-server.js';
import type { StationView } from '../station-view.js';
import { basicAuthMatches } from './basic-auth.js';
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
export async function startStatusPage(options: StatusPageOptions): Promise<RunningHttpServer> {
  const password = readFileSync(options.passwordFile, 'utf8').split('\n')[0]?.trim() ?? '';
  if (password.length < 8) throw new StatusPagePasswordError(`${options.passwordFile}: the status page password must be at least 8 characters`);
  const dir = join(packageRoot(), 'gateway', 'ops', 'status-page', 'assets');
  const assets = new Map(Object.entries(ASSETS).map(([path, file]) => [path, { body: readFileSync(join(dir, file)), type: TYPES[file.split('.').pop() ?? ''] ?? 'text/plain' }]));
  const { view, health, log } = options;
  const recent = new RecentEvents(RECENT_EVENTS);
  const streams = new Set<ServerResponse>();
  const snapshotJson = (): string => JSON.stringify(statusSnapshot(view, health.current(), recent));
  const push = (): void => {
    if (streams.size === 0) return;
    const frame = `event: status\ndata: ${snapshotJson()}\n\n`;
    for (const res of streams) res.write(frame);
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
    if (!basicAuthMatches(req.headers.authorization, options.user, password)) {
      log.debug({ remote: req.socket.remoteAddress }, 'status page: authentication required');
      res.writeHead(401, { 'www-authenticate': 'Basic realm="station", charset="UTF-8"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const asset = assets.get(path);
    const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (req.method !== 'GET') res.writeHead(405, { allow: 'GET' }).end();
    else if (asset) res.writeHead(200, { ...common, 'content-type': asset.type }).end(asset.body);
    else if (path === '/api/status') res.writeHead(200, { ...common, 'content-type': 'application/json' }).end(snapshotJson());
    else if (path === '/api/stream') {
      res.writeHead(200, { ...common, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write(`retry: 3000\nevent: status\ndata: ${snapshotJson()}\n\n`);
      streams.add(res);
      req.on('close', () => streams.delete(res));
    } else res.writeHead(404, { ...common, 'content-type': 'text/plain' }).end('not found\n');
  });
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      clearInterval(timer);
      for (const u of unsubscribe) u();
      for (const res of streams) res.end();
      streams.clear();
      await server.close();
    },
  };
}
