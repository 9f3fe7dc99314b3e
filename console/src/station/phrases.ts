import { isRecord } from '../../../config/is-record.js';
import { h } from '../dom.js';
import { ago, num, stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { STATION_TEXT } from '../i18n/station-text.js';

/** Small pieces of the station view's sentences: durations, ages, clauses, key: value pairs. */

export type Rec = Record<string, unknown>;
export const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
export const t = (): typeof STATION_TEXT['en'] => words(STATION_TEXT);
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : isNum(v) ? String(v) : undefined);

/** 75 → "1 分钟 15 秒"-like, but coarse: operators read minutes, not seconds, past a minute. */
export function duration(seconds: number): string {
  const w = t();
  if (seconds < 60) return w.seconds(num(Math.round(seconds)));
  if (seconds < 3600) return w.minutes(num(Math.floor(seconds / 60)));
  return w.hours(num(seconds / 3600, 1));
}

/** An age that the view refreshes in place (`data-since`), without rebuilding what holds it. */
export function age(ms: number): HTMLElement {
  return h('time', { class: 'age', text: ago(ms), attrs: { 'data-since': String(ms), datetime: new Date(ms).toISOString() } });
}

/** "2026-12-02 07:04:05 GMT+8 (3 分钟前)" as nodes. */
export function moment(ms: number, zone: string | undefined): Array<Node | string> {
  const w = t();
  return [stationTime(ms, zone), w.open, age(ms), w.close];
}

/** Clauses joined the language's way, ended with its full stop. */
export function sentence(parts: ReadonlyArray<string | undefined>): string {
  const w = t();
  const kept = parts.filter((p): p is string => !!p);
  return kept.length ? kept.join(w.clause) + w.end : '';
}

/** `key: value` pairs for data no sentence is written for: readable, never JSON braces. */
export function pairs(r: Rec, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (isRecord(v)) out.push(...pairs(v, `${prefix}${k}.`));
    else if (Array.isArray(v)) out.push(`${prefix}${k}: ${v.map((x) => (isRecord(x) ? pairs(x).join(', ') : String(x))).join(' / ')}`);
    else out.push(`${prefix}${k}: ${v === null ? '—' : String(v)}`);
  }
  return out;
}
