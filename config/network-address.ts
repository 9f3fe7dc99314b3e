import { isIP } from 'node:net';

/*
 * The checks MQTT.js and node:net make on an address only when they use it (at connect or listen,
 * where a bad value throws and the gateway exits 1), made on the text of the config instead.
 */

/**
 * What is wrong with a broker URL, or undefined. MQTT.js parses it leniently and hands the
 * port to net.connect, which throws for a port past 65535 (exit 1 at start); what the WHATWG
 * parser refuses (`mqtt://host:port`, `mqtt://a:b:c`) could never connect either. Credentials in
 * the URL would put a secret inline.
 */
export function brokerUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL (mqtt://host:port or mqtts://host:port)';
  }
  if (parsed.username || parsed.password) return 'secrets are never inline: put the user name in cloud.username and the password in cloud.passwordFile';
  if (!parsed.hostname) return 'names no host';
  if (parsed.port === '0') return 'port must be 1 to 65535';
  if (parsed.pathname !== '' && parsed.pathname !== '/') return 'must not have a path';
  if (parsed.search || parsed.hash) return 'must not have a query or fragment';
  return undefined;
}

/**
 * What is wrong with a `host:port` listen address, or undefined. node:net listens on an IP
 * literal without asking DNS only when it is one; `999.1.1.1` or `1.2.3` would be looked up and
 * fail at start.
 */
export function listenAddressProblem(listen: string): string | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen);
  if (!m || !m[1]) return 'must be host:port';
  const [, host, port] = m as unknown as [string, string, string];
  if (Number(port) > 65535) return `port ${port} is past 65535`;
  if (host === 'localhost' || isIP(host) !== 0) return undefined;
  return `"${host}" is not an IP address (or localhost)`;
}

/** Two listen addresses bind the same socket: same port (not 0) on the same host or a wildcard. */
export function listenAddressesClash(a: string, b: string): boolean {
  const pa = splitListen(a);
  const pb = splitListen(b);
  if (!pa || !pb || pa.port === 0 || pa.port !== pb.port) return false;
  const wildcard = (h: string): boolean => h === '0.0.0.0' || h === '::';
  // localhost is looked up at listen: 127.0.0.1 or ::1, whichever the resolver gives first.
  const loopback = (h: string): boolean => h === 'localhost' || h === '127.0.0.1' || h === '::1';
  return pa.host === pb.host || wildcard(pa.host) || wildcard(pb.host) || (loopback(pa.host) && loopback(pb.host) && (pa.host === 'localhost' || pb.host === 'localhost'));
}

function splitListen(listen: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen);
  return m?.[1] ? { host: m[1], port: Number(m[2]) } : undefined;
}
