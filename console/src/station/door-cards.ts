import { h } from '../dom.js';
import { unlockControl } from '../operator/station-controls.js';
import { num } from '../i18n/format.js';
import { isNum, moment, rec, str, t, type Rec } from './phrases.js';

/**
 * The lock's doors, each with its bolt and its door contact, in words and a shape; with `device`
 * and an operator's station context, each door's remote unlock.
 */
export function lockBody(p: Rec, device?: string): HTMLElement {
  const w = t();
  const doors = Object.entries(rec(p['doors'])).sort(([a], [b]) => Number(a) - Number(b));
  return h('div', { class: 'lock' }, [
    h(
      'ul',
      { class: 'doors' },
      doors.map(([n, raw]) => {
        const d = rec(raw);
        const bolt = String(d['bolt'] ?? '');
        const contact = String(d['door'] ?? '');
        return h('li', { class: `door-row bolt-${bolt} door-${contact}`, attrs: { 'data-door': n, 'data-key': `door-${n}` } }, [
          h('b', { text: w.door(n) }),
          ' ',
          h('span', { class: 'bolt', attrs: { 'data-bolt': bolt } }, [`${w.boltLabel} ${w.bolt[bolt] ?? (bolt || '—')}`]),
          ' · ',
          h('span', { class: 'contact', attrs: { 'data-contact': contact }, text: `${w.contactLabel} ${w.contact[contact] ?? (contact || '—')}` }),
          device ? unlockControl(device, n) : undefined,
        ]);
      }),
    ),
    str(p['firmware']) ? h('p', { class: 'muted', text: w.firmware(String(p['firmware'])) }) : undefined,
  ]);
}

/**
 * The scanner's counters and when it last read a code, in the station's time. A scan is a
 * credential: only its kind and length are ever shown, and only if the scanner publishes them;
 * any other point it has is deliberately not drawn.
 */
export function scannerBody(p: Rec, zone: string | undefined): HTMLElement {
  const w = t();
  const at = typeof p['lastScanAt'] === 'string' ? Date.parse(p['lastScanAt']) : NaN;
  const shape = w.scanShape(str(p['lastScanKind']), isNum(p['lastScanLength']) ? num(p['lastScanLength']) : undefined);
  return h('div', { class: 'scanner' }, [
    h('p', {}, [`${w.lastScan}${w.colon}`, ...(Number.isFinite(at) ? moment(at, zone) : [w.noScan]), shape ? ` · ${shape}` : '']),
    h('p', { text: [isNum(p['scans']) ? w.scans(num(p['scans'])) : '', isNum(p['dropped']) ? w.dropped(num(p['dropped'])) : ''].filter(Boolean).join(' · ') }),
  ]);
}
