import type { IncomingMessage } from 'node:http';
import { SimCommandError } from './sim-command-error.js';

/*
 * The control API can silence a station's devices, and a crew's laptop that runs it also runs a
 * browser. Binding to 127.0.0.1 keeps the LAN out but not a web page: a page can POST a
 * `text/plain` "simple request" cross-origin without a CORS preflight, and a DNS-rebinding page
 * can even read the answers. So a request is only served when
 *  - its Host is the API's own loopback address (a rebound name carries the attacker's host name),
 *  - it carries no Origin, or the API's own (browsers send Origin on every cross-origin POST),
 *  - a POST says `Content-Type: application/json` (which a cross-origin page cannot send without a
 *    preflight, and the API answers no preflight).
 * curl and scripts send no Origin and the right Host by themselves.
 */

/** The Host values that name this server: its bound address and `localhost`, with the port. */
export function ownHosts(host: string, port: number): Set<string> {
  const shown = host.includes(':') ? `[${host}]` : host;
  return new Set([`${shown}:${port}`, `localhost:${port}`].map((h) => h.toLowerCase()));
}

export function guardRequest(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) throw new SimCommandError(`Host "${req.headers.host ?? ''}" is not this control API (${[...hosts].join(' or ')})`, 403);
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.has(hostOfOrigin(origin))) throw new SimCommandError(`cross-origin request from "${origin}" refused`, 403);
  if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new SimCommandError(`POST needs Content-Type: application/json (got "${req.headers['content-type'] ?? 'none'}")`, 415);
  }
}

/** `http://127.0.0.1:8081` → `127.0.0.1:8081`; anything else (`null`, https, no port) matches nothing. */
function hostOfOrigin(origin: string): string {
  const m = /^http:\/\/([^/]+)$/i.exec(origin.trim());
  return m?.[1]?.toLowerCase() ?? '';
}
