import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthMonitor } from './health-monitor.js';
import { startHttpServer, type RunningHttpServer } from './local-http-server.js';
import type { StationMetrics } from './station-metrics.js';

/**
 * `/metrics` for Prometheus and `/healthz` for the watchdog's peers (a load balancer, a crew's
 * curl): 200 while the liveness check passes, 503 with the reasons otherwise. The health answer
 * is the last scheduled check, so asking often does not reset the loop-lag window.
 */
export function startMetricsServer(listen: string, metrics: StationMetrics, health: HealthMonitor): Promise<RunningHttpServer> {
  return startHttpServer(listen, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const r = health.current();
      const body = r.ok ? { status: 'ok' } : { status: 'unhealthy', reasons: r.reasons };
      res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      return;
    }
    if (path === '/metrics') {
      metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  });
}
