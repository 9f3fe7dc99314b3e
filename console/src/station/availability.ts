import { isRecord } from '../../../config/is-record.js';
import { h } from '../dom.js';
import { num } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { SERVICE_TEXT } from '../i18n/service-text.js';
import type { StationRecord } from '../fleet-model.js';
import { pairs, rec, t } from './phrases.js';

/**
 * One service in words: usable or not and why, ready batteries by pack, people inside. What is out
 * of service, by whom and why, is drawn beside it by service-controls.ts (serviceSection).
 */
function service(name: string, v: unknown): string {
  const w = t();
  const r = rec(v);
  const parts: string[] = [];
  if (typeof r['usable'] === 'boolean') parts.push(r['usable'] ? w.usable : w.notUsable);
  if (typeof r['ok'] === 'boolean') parts.push(r['ok'] ? w.usable : w.notUsable);
  if (typeof r['reason'] === 'string') parts.push(w.reason(words(SERVICE_TEXT).closedReason[r['reason']] ?? r['reason']));
  if (isRecord(r['ready'])) for (const [pack, n] of Object.entries(r['ready'])) parts.push(w.ready(pack, typeof n === 'number' ? num(n) : String(n)));
  if (typeof r['inside'] === 'number') parts.push(w.inside(num(r['inside'])));
  const rest = pairs(Object.fromEntries(Object.entries(r).filter(([k]) => !['usable', 'ok', 'reason', 'ready', 'inside'].includes(k))));
  return [...parts, ...rest].join(w.list) || (isRecord(v) ? '—' : String(v));
}

/**
 * Whether the station is open and each service. An offline station's "open" is not known: what
 * it last said is shown as last known, never as a live yes.
 */
export function availabilityView(s: StationRecord): HTMLElement {
  const w = t();
  const offline = s.online === false;
  if (!s.availability) return h('p', { class: 'none', attrs: { id: 'station-availability' }, text: s.readyBatteries !== undefined ? w.countedReady(s.readyBatteries) : w.notPublished });
  const items = Object.entries(s.availability.services).map(([k, v]) => h('li', { attrs: { 'data-service': k, 'data-key': k } }, [h('b', { text: w.service[k] ?? k }), ` ${service(k, v)}`]));
  return h('ul', { class: `kv${offline ? ' stale' : ''}`, attrs: { id: 'station-availability', 'data-open': offline ? 'unknown' : String(s.availability.open) } }, [
    h('li', { attrs: { 'data-key': 'open' } }, [h('b', { text: w.openNow }), ` ${offline ? w.unknownOffline : s.availability.open ? w.yes : w.no}`]),
    ...(offline ? items.map((li) => (li.append(`${w.open}${w.lastKnown}${w.close}`), li)) : items),
  ]);
}
