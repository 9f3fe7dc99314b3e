import { h } from '../dom.js';
import { num } from '../i18n/format.js';
import { duration, isNum, pairs, rec, t, type Rec } from './phrases.js';

const bad = (text: string): HTMLElement => h('span', { class: 'bad' }, [h('span', { text: '⚠ ', attrs: { 'aria-hidden': 'true' } }), text]);

/** The dispenser: the tank as a meter with its number, the session, filter, hot water and leak in words. */
export function dispenserBody(p: Rec): HTMLElement {
  const w = t();
  const status = rec(p['status']);
  const level = isNum(p['tankLevel']) ? Math.max(0, Math.min(100, p['tankLevel'])) : undefined;
  const session = String(p['session'] ?? '');
  const line = (...parts: Array<Node | string | undefined>): HTMLElement => h('p', {}, parts.flatMap((x, i) => (x === undefined ? [] : i ? [' · ', x] : [x])));
  return h('div', { class: 'dispenser' }, [
    h('p', { class: 'tank-line' }, [
      h('label', { text: level !== undefined ? w.tankLevel(num(level)) : w.tankLevel('—') }),
      ' ',
      level !== undefined ? h('meter', { attrs: { min: '0', max: '100', low: '20', high: '50', optimum: '100', value: String(level), 'aria-label': w.tank } }) : undefined,
    ]),
    line(
      w.session[session] ?? (session || '—'),
      session === 'dispensing' && isNum(p['sessionVolume']) ? w.sessionVolume(num(p['sessionVolume'])) : undefined,
      isNum(p['hotTemp']) ? w.hot(num(p['hotTemp'], 1)) : undefined,
    ),
    line(isNum(p['filterLife']) ? w.filter(num(p['filterLife'])) : undefined, status['filterDue'] === true ? bad(w.filterDue) : undefined),
    line(
      status['leak'] === true ? bad(w.leak) : status['leak'] === false ? w.noLeak : undefined,
      status['supplyOk'] === false ? bad(w.supply[1]) : status['supplyOk'] === true ? w.supply[0] : undefined,
      isNum(p['totalVolume']) ? w.total(num(p['totalVolume'] / 1000, 1)) : undefined,
    ),
  ]);
}

/** Occupancy: how many are inside and, while someone is, how long since they moved. */
export function occupancyBody(p: Rec): HTMLElement {
  const w = t();
  const people = isNum(p['people']) ? p['people'] : undefined;
  const still = isNum(p['stillSeconds']) ? p['stillSeconds'] : undefined;
  const inside = (people ?? 0) > 0 || (isNum(p['presence']) && p['presence'] > 0);
  const sensor = String(p['sensorStatus'] ?? '');
  return h('div', { class: 'occupancy' }, [
    h('p', { class: 'people', text: people !== undefined && people > 0 ? w.people(num(people)) : inside ? w.people('?') : w.empty }),
    inside && still !== undefined ? h('p', { text: still > 0 ? w.still(duration(still)) : w.moving }) : undefined,
    sensor ? h('p', {}, [sensor === 'ok' ? w.sensor['ok'] ?? sensor : bad(w.sensor[sensor] ?? sensor)]) : undefined,
  ]);
}

/** A smoke detector: smoke and fault first, then its readings. */
export function smokeBody(p: Rec): HTMLElement {
  const w = t();
  const status = rec(p['status']);
  return h('div', { class: 'smoke' }, [
    h('p', {}, [status['smoke'] === true ? bad(w.smoke[1]) : w.smoke[0], status['fault'] === true ? ' · ' : '', status['fault'] === true ? bad(w.detectorFault) : undefined]),
    h('p', { class: 'muted', text: [isNum(p['obscuration']) ? w.obscuration(num(p['obscuration'], 2)) : '', isNum(p['supplyVoltage']) ? w.supplyVoltage(num(p['supplyVoltage'], 1)) : ''].filter(Boolean).join(' · ') }),
  ]);
}

/** Any other kind: its points as `key: value` lines. */
export function genericBody(p: Rec): HTMLElement {
  return h('ul', { class: 'points' }, pairs(p).map((line) => h('li', { text: line })));
}
