import { X509Certificate, createPrivateKey } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { dirname } from 'node:path';
import type { StationConfig } from './station-schema.js';

/*
 * The files a station file names, checked the way the gateway uses them at start: readable, and
 * holding what the part that reads them accepts. Each of these would otherwise stop `run` with
 * exit 1 (systemd restarts it, forever) rather than `validate` with exit 2.
 */

export interface FileProblem {
  /** Key path in the station file, e.g. `cloud.key`. */
  path: string;
  message: string;
}

/** The shortest status page password the page is served with (gateway/ops/status-page). */
export const MIN_STATUS_PAGE_PASSWORD = 8;

/** `skipped`: whether a key path (`cloud.key`) holds a stand-in, not the file's value. */
export function namedFileProblems(config: StationConfig, skipped: (path: string) => boolean = () => false): FileProblem[] {
  const out: FileProblem[] = [];
  const { cloud, statusPage } = config;
  const named: Array<[string, string | undefined]> = [
    ['cloud.ca', cloud.ca],
    ['cloud.cert', cloud.cert],
    ['cloud.key', cloud.key],
    ['cloud.passwordFile', cloud.passwordFile],
    ['access.trustedKeys', config.access?.trustedKeys],
    ['statusPage.passwordFile', statusPage?.passwordFile],
    ['update.releaseKey', config.update?.releaseKey],
    ['update.keys', config.update?.keys],
    ['update.ca', config.update?.ca],
  ];
  const readable = new Set<string>();
  for (const [path, p] of named) {
    if (p === undefined || skipped(path)) continue;
    const problem = unreadable(p);
    if (problem) out.push({ path, message: problem });
    else readable.add(path);
  }
  if (!skipped('cloud.url') && cloud.url.startsWith('mqtts://')) out.push(...tlsProblems(cloud, readable));
  if (statusPage && readable.has('statusPage.passwordFile')) {
    // Read as the status page reads it: the first line, trimmed.
    const password = readFileSync(statusPage.passwordFile, 'utf8').split('\n')[0]?.trim() ?? '';
    if (password.length < MIN_STATUS_PAGE_PASSWORD) {
      out.push({ path: 'statusPage.passwordFile', message: `the password in ${statusPage.passwordFile} (its first line) is ${password.length} characters; the status page needs at least ${MIN_STATUS_PAGE_PASSWORD}` });
    }
  }
  if (!skipped('storage.path')) {
    const problem = storagePathProblem(config.storage.path);
    if (problem) out.push({ path: 'storage.path', message: problem });
  }
  return out;
}

function unreadable(p: string): string | undefined {
  try {
    accessSync(p, constants.R_OK);
    if (statSync(p).isDirectory()) return `${p} is a folder, not a file`;
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `file not found: ${p}` : `cannot read ${p} (${code ?? 'error'})`;
  }
}

/**
 * TLS material as node:tls takes it when MQTT.js connects: a key or certificate that does not
 * parse, or a key that is not the certificate's, throws there synchronously.
 */
function tlsProblems(cloud: StationConfig['cloud'], readable: ReadonlySet<string>): FileProblem[] {
  const out: FileProblem[] = [];
  const pem = (key: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const p = cloud[key];
    return p !== undefined && readable.has(`cloud.${key}`) ? readFileSync(p) : undefined;
  };
  const [ca, cert, key] = [pem('ca'), pem('cert'), pem('key')];
  const parses = (path: string, what: string, parse: () => unknown): boolean => {
    try {
      parse();
      return true;
    } catch (err) {
      out.push({ path, message: `not ${what}: ${firstLine(err)}` });
      return false;
    }
  };
  if (ca) parses('cloud.ca', 'a PEM certificate', () => new X509Certificate(ca));
  const certOk = cert ? parses('cloud.cert', 'a PEM certificate', () => new X509Certificate(cert)) : false;
  const keyOk = key ? parses('cloud.key', 'a PEM private key', () => createPrivateKey(key)) : false;
  if (certOk && keyOk) {
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      out.push({ path: 'cloud.key', message: `does not belong to cloud.cert: ${firstLine(err)}` });
    }
  }
  return out;
}

/** The database's file: SQLite cannot open a folder, and its folder is made if missing. */
function storagePathProblem(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return `${path} is a folder; name the database file in it (e.g. ${path.replace(/\/$/, '')}/gateway.db)`;
    return undefined;
  } catch {
    // Not there yet: fine if the nearest existing folder above it is a folder.
  }
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    try {
      return statSync(dir).isDirectory() ? undefined : `${dir} is a file, so the database cannot be made under it`;
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
