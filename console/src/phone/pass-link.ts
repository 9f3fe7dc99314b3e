import { fromBase64url } from './base64url.js';

/*
 * How a pass reaches the phone: a link `phone.html#pass=<base64url>` (the fragment never reaches
 * a web server or its logs), optionally with `&station=<code>` for the station the worker is sent
 * to; or the same text pasted into the page. The station code may also come alone, from a link
 * printed at the door.
 */

export interface LinkParams {
  pass?: Uint8Array;
  /** The text under `pass=` did not decode as base64url. */
  passUnreadable?: boolean;
  station?: string;
}

/** Reads a fragment (`#pass=…&station=…`), a whole link, or a bare base64url pass. */
export function readLinkText(text: string): LinkParams {
  const t = text.trim();
  const hash = t.includes('#') ? t.slice(t.indexOf('#') + 1) : t.includes('=') ? t : `pass=${t}`;
  const params = new URLSearchParams(hash);
  const out: LinkParams = {};
  const station = params.get('station');
  if (station !== null) out.station = station.trim().slice(0, 64);
  const pass = params.get('pass');
  if (pass !== null && pass !== '') {
    const bytes = fromBase64url(pass);
    if (bytes && bytes.length > 0) out.pass = bytes;
    else out.passUnreadable = true;
  }
  return out;
}
