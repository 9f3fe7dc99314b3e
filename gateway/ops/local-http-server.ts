import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen as listenOn } from '../../config/listen.js';

export class ListenAddressError extends Error {
  override readonly name = 'ListenAddressError';
  readonly code = 'LISTEN_ADDRESS';
}

export interface RunningHttpServer {
  /** `http://host:port` with the port actually bound (port 0 picks one). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Splits `host:port` (or `[v6]:port`) as the config gives it. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m || !m[1] || port > 65535) throw new ListenAddressError(`not host:port: "${listen}"`);
  return { host: m[1], port };
}

/**
 * One small HTTP server of the gateway's own (metrics, status page). Idle keep-alive sockets
 * and open event streams are closed on stop, so a stop is never held up by a browser tab.
 */
export async function startHttpServer(listen: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningHttpServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer(handler);
  // A Pi on a LAN: bound the slow-client cost (headers trickled in, requests never finished).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const bound = await listenOn(server, port, host);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
