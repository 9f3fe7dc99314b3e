import type { Credentials } from './broker-link.js';

const KEY = 'station-console.credentials';

export const DEFAULT_CREDENTIALS: Credentials = { url: 'ws://127.0.0.1:8083/mqtt', username: '', password: '', prefix: 'stations' };

/**
 * Where the form's first values come from: the query string (the demo prints a URL with the
 * broker filled in; `connect=1` connects at once), else what this tab remembered. sessionStorage,
 * not localStorage: the password is forgotten when the tab closes.
 */
export function initialCredentials(search: string, storage: Storage): { credentials: Credentials; autoConnect: boolean } {
  const q = new URLSearchParams(search);
  const remembered = readRemembered(storage);
  const base = remembered ?? DEFAULT_CREDENTIALS;
  const credentials: Credentials = {
    url: q.get('url') ?? base.url,
    username: q.get('username') ?? base.username,
    password: q.get('password') ?? base.password,
    prefix: q.get('prefix') ?? base.prefix,
  };
  return { credentials, autoConnect: q.get('connect') === '1' || remembered !== undefined };
}

export function rememberCredentials(storage: Storage, c: Credentials): void {
  storage.setItem(KEY, JSON.stringify(c));
}

export function forgetCredentials(storage: Storage): void {
  storage.removeItem(KEY);
}

function readRemembered(storage: Storage): Credentials | undefined {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? 'null') as Partial<Credentials> | null;
    if (!v || typeof v.url !== 'string') return undefined;
    return { url: v.url, username: v.username ?? '', password: v.password ?? '', prefix: v.prefix || 'stations' };
  } catch {
    return undefined;
  }
}
