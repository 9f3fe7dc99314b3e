import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { StationSimulator } from '../simulator-set.js';
import { guardRequest, ownHosts } from './request-guard.js';
import { restOfLine, splitWords } from './command-words.js';
import { SimCommandError } from './sim-command-error.js';

/*
 * The control API: JSON over HTTP on 127.0.0.1 only (it can silence a station's devices, so it is
 * never exposed). The same command language as stdin:
 *
 *   GET  /devices                       [{id, kind, address, link, faults, ...device state}, ...]
 *   GET  /devices/<id>                  {id, kind, address, link, faults, ...device state}
 *   POST /devices/<id>/commands         {"command": "slot 3 temperature 62"} → {"ok": true, "result": "..."}
 *   POST /commands                      {"command": "cabinet-1 slot 3 temperature 62"}
 *
 * A command that is wrong answers 400 (404 for an unknown device) with {"ok": false, "error": {"code", "message"}}.
 * A POST must be `Content-Type: application/json` (415 otherwise), and a request from a web page
 * (a foreign Origin or Host header) is refused 403: see request-guard.ts.
 */

export interface HttpControl {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;

export async function startHttpControl(sim: StationSimulator, options: { port?: number; host?: string } = {}): Promise<HttpControl> {
  const host = options.host ?? '127.0.0.1';
  // Filled in once the port is bound (port 0 picks one); no request arrives before that.
  let hosts: ReadonlySet<string> = new Set();
  const server = createServer((req, res) => {
    handle(sim, req, res, hosts).catch((err: unknown) => reply(res, 500, { ok: false, error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  hosts = ownHosts(host, port);
  return {
    port,
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(sim: StationSimulator, req: IncomingMessage, res: ServerResponse, hosts: ReadonlySet<string>): Promise<void> {
  try {
    guardRequest(req, hosts);
    const path = pathOf(req.url ?? '/');
    const parts = path.split('/').filter(Boolean).map(decodeSegment);
    if (req.method === 'GET' && parts.length === 1 && parts[0] === 'devices') {
      return reply(res, 200, sim.devices.map(describe));
    }
    if (req.method === 'GET' && parts.length === 2 && parts[0] === 'devices') {
      return reply(res, 200, describe(sim.device(parts[1] ?? '')));
    }
    if (req.method === 'POST' && parts.length === 3 && parts[0] === 'devices' && parts[2] === 'commands') {
      const device = sim.device(parts[1] ?? '');
      const command = await readCommand(req);
      // The device's id in front is allowed too: the same line works everywhere.
      // The command as sent, without a leading device id: a scan's text keeps its runs of spaces.
      const result = await device.command(splitWords(command)[0] === device.id ? restOfLine(command, 1) : command);
      return reply(res, 200, { ok: true, result });
    }
    if (req.method === 'POST' && parts.length === 1 && parts[0] === 'commands') {
      return reply(res, 200, { ok: true, result: await sim.command(await readCommand(req)) });
    }
    throw new SimCommandError(`${req.method ?? '?'} ${path}: see GET /devices, POST /devices/<id>/commands`, 404);
  } catch (err) {
    if (err instanceof SimCommandError) return reply(res, err.status, { ok: false, error: { code: err.code, message: err.message } });
    throw err;
  }
}

/** A request target that no URL parses (`//`) is a client's mistake (400), not the API's failure. */
function pathOf(target: string): string {
  let url: URL;
  try {
    url = new URL(target, 'http://localhost');
  } catch {
    throw new SimCommandError(`"${target}" is not a path`);
  }
  return url.pathname.replace(/\/+$/, '') || '/';
}

/** `%E0%A4%A` is a client's mistake (400), not the API's failure (decodeURIComponent throws URIError). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SimCommandError(`"${segment}" is not valid percent-encoding`);
  }
}

function describe(device: StationSimulator['devices'][number]): Record<string, unknown> {
  return device.state();
}

async function readCommand(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += (chunk as Buffer).toString('utf8');
    if (body.length > MAX_BODY_BYTES) throw new SimCommandError(`body over ${MAX_BODY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new SimCommandError('body must be JSON: {"command": "..."}');
  }
  const command = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['command'] : undefined;
  if (typeof command !== 'string' || command.trim() === '') throw new SimCommandError('body must be JSON: {"command": "..."}');
  return command;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
