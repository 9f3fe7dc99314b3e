import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { resolveProfileFile } from '../../config/load-profile.js';

/*
 * One demo run's own copy of the station file: every simulator TCP port on this machine moved to a
 * free one, every file (database, keys, ptys) in the run's state folder, so two demos, or a demo
 * beside the test suite, never meet. The copy is what the gateway runs and what `log` and
 * `doctor` are pointed at; the original is never written.
 */

export interface DemoStationFile {
  /** The derived station file, in the state folder. */
  file: string;
  /** Original simulator port -> the port of this run (for the banner and tests). */
  ports: ReadonlyMap<number, number>;
}

interface RawStation {
  storage?: { path?: string };
  access?: { trustedKeys?: string };
  cloud?: Record<string, unknown>;
  statusPage?: { passwordFile?: string };
  devices?: Array<{ profile?: string; transport?: { host?: string; port?: number; path?: string } }>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** A TCP port on 127.0.0.1 that was free a moment ago; the simulator binds it right after. */
export function pickFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function deriveDemoStation(original: string, dir: string, freePort: () => Promise<number> = pickFreePort): Promise<DemoStationFile> {
  const source = resolve(original);
  const base = dirname(source);
  const doc = parse(readFileSync(source, 'utf8')) as RawStation;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  mkdirSync(dir, { recursive: true });

  doc.storage = { ...(doc.storage ?? {}), path: join(dir, 'gateway.db') };
  // The demo trusts the key it makes for this run's folder: the printed unlock line signs with it.
  if (doc.access) doc.access.trustedKeys = join(dir, 'keys', 'trusted-keys.jwks.json');
  for (const key of ['ca', 'cert', 'key', 'passwordFile']) {
    const v = doc.cloud?.[key];
    if (typeof v === 'string' && doc.cloud) doc.cloud[key] = abs(v);
  }
  if (typeof doc.statusPage?.passwordFile === 'string') doc.statusPage.passwordFile = abs(doc.statusPage.passwordFile);

  const ports = new Map<number, number>();
  const taken = new Set<number>();
  const nextPort = async (): Promise<number> => {
    // The kernel may hand the same ephemeral port out twice in a row once it is closed again.
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  for (const device of doc.devices ?? []) {
    // The copy lives elsewhere: a profile named by path or found beside the original must still be found.
    if (typeof device.profile === 'string') device.profile = resolveProfileFile(device.profile, source);
    const t = device.transport;
    if (!t) continue;
    if (typeof t.port === 'number' && typeof t.host === 'string' && LOOPBACK.has(t.host)) {
      // Devices that share a port share one listener (one converter); they keep sharing it.
      let port = ports.get(t.port);
      if (port === undefined) {
        port = await nextPort();
        ports.set(t.port, port);
      }
      t.port = port;
    }
    if (typeof t.path === 'string') t.path = join(dir, 'tty', basename(t.path));
  }

  const file = join(dir, 'station.yaml');
  writeFileSync(file, `# Made by \`npm start\` from ${source} for this run; rewritten at every start.\n${stringify(doc)}`);
  return { file, ports };
}
