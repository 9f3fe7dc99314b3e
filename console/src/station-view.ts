import type { Alarm } from '../../cloud-bridge/contract-schemas.js';
import { ago, h } from './dom.js';
import type { EventLog } from './event-log.js';
import { isRecord } from '../../config/is-record.js';
import type { DeviceRecord, StationRecord } from './fleet-model.js';

type Rec = Record<string, unknown>;
const num = (v: unknown, digits = 0): string => (typeof v === 'number' ? v.toFixed(digits) : '—');

/** One station: status, alarms, availability, each device with its health, the event stream. */
export function renderStation(s: StationRecord | undefined, id: string, events: EventLog | undefined): HTMLElement {
  if (!s) return h('section', { class: 'station', attrs: { id: 'station' } }, [back(), h('h2', { text: id }), h('p', { text: 'Nothing heard from this station yet.' })]);
  const status = s.online === true ? 'online' : s.online === false ? 'offline' : 'unknown';
  return h('section', { class: 'station', attrs: { id: 'station', 'data-station': s.id, 'data-status': status } }, [
    back(),
    h('h2', {}, [h('span', { class: `dot ${status}`, text: status === 'online' ? '●' : '○' }), ` ${s.id} `, h('small', { class: `status-text ${status}`, text: status })]),
    h('p', { class: 'meta', text: `version ${s.version ?? '—'} · boot ${s.bootId ?? '—'} · last heard ${ago(s.lastHeard)} · ${s.location ? `at ${s.location.lat}, ${s.location.lon}` : 'no position'}` }),
    h('h3', { text: 'Active alarms' }),
    alarmList(s.alarms),
    h('h3', { text: 'Availability' }),
    availability(s),
    h('h3', { text: 'Devices' }),
    h('div', { class: 'devices' }, [...s.devices.values()].map((d) => deviceCard(d, s.alarms))),
    h('h3', { text: 'Events' }),
    eventList(events),
  ]);
}

function back(): HTMLElement {
  return h('a', { class: 'back', text: '← Fleet', attrs: { href: '#/' } });
}

function alarmList(alarms: readonly Alarm[]): HTMLElement {
  if (alarms.length === 0) return h('p', { class: 'none', attrs: { id: 'station-alarms' }, text: 'No active alarms.' });
  return h(
    'ul',
    { class: 'alarms', attrs: { id: 'station-alarms' } },
    alarms.map((a) =>
      h('li', { class: `sev-${a.severity}`, attrs: { 'data-alarm': a.alarm } }, [
        h('b', { text: `${a.severity} ${a.alarm}` }),
        a.device ? ` · ${a.device}` : '',
        a.since ? ` · since ${ago(Date.parse(a.since))}` : '',
        a.detail ? h('small', { text: ` ${JSON.stringify(a.detail)}` }) : undefined,
      ]),
    ),
  );
}

function availability(s: StationRecord): HTMLElement {
  if (!s.availability) return h('p', { class: 'none', text: s.readyBatteries !== undefined ? `Not published; ${s.readyBatteries} ready batteries counted in the cabinet.` : 'Not published.' });
  const items = Object.entries(s.availability.services).map(([k, v]) => h('li', {}, [h('b', { text: k }), ` ${isRecord(v) ? flat(v) : JSON.stringify(v)}`]));
  return h('ul', { class: 'kv' }, [h('li', {}, [h('b', { text: 'open' }), ` ${s.availability.open ? 'yes' : 'no'}`]), ...items]);
}

function deviceCard(d: DeviceRecord, alarms: readonly Alarm[]): HTMLElement {
  const st = d.state;
  const status = !st ? 'unknown' : st.online ? 'online' : 'offline';
  const health = st
    ? `last seen ${st.health.lastSeen ? ago(Date.parse(st.health.lastSeen)) : 'never'} · latency ${num(st.health.latencyMs, 1)} ms · errors ${nonZero(st.health.errors) || 'none'}`
    : 'no state yet';
  let body: HTMLElement;
  if (!st) body = h('p', { text: '' });
  else if (d.kind === 'battery-cabinet') body = cabinet(st.points, alarmedDoors(alarms, d.id));
  else if (d.kind === 'water-dispenser') body = dispenser(st.points);
  else body = h('p', { class: 'points', text: flat(st.points) });
  return h('article', { class: `device ${status}`, attrs: { 'data-device': d.id, 'data-status': status } }, [
    h('h4', {}, [h('span', { class: `dot ${status}`, text: status === 'online' ? '●' : '○' }), ` ${d.id} `, h('small', { text: `${d.kind} ${d.model} · ${status}` })]),
    h('p', { class: 'health', text: health }),
    body,
  ]);
}

/**
 * Door numbers (from 1, printed on the cabinet) of this cabinet's slots with an active alarm:
 * `slot.overheat.<n>` names the door, and so does its `detail.slot`.
 */
export function alarmedDoors(alarms: readonly Alarm[], device: string): Set<number> {
  const doors = new Set<number>();
  for (const a of alarms) {
    if (a.device !== device) continue;
    const named = /^slot\.[a-z-]+\.(\d+)$/.exec(a.alarm)?.[1];
    const detail = a.detail?.['slot'];
    if (named !== undefined) doors.add(Number(named));
    else if (typeof detail === 'number' && Number.isInteger(detail)) doors.add(detail);
  }
  return doors;
}

/** A slot's door number: the `slot` it carries, or its position + 1 from a gateway that sends none. */
const doorNumber = (slot: Rec, i: number): number => (typeof slot['slot'] === 'number' && Number.isInteger(slot['slot']) ? slot['slot'] : i + 1);

/** The cabinet as its slots, labelled by door number: state, charge, temperature, door, faults and alarms at a glance. */
function cabinet(p: Rec, alarmed: ReadonlySet<number>): HTMLElement {
  const slots = Array.isArray(p['slots']) ? p['slots'] : [];
  const grid = h(
    'div',
    { class: 'slots' },
    slots.map((raw, i) => {
      const slot = isRecord(raw) ? raw : {};
      const faults = isRecord(slot['fault']) ? Object.keys(slot['fault']).filter((k) => (slot['fault'] as Rec)[k] === true) : [];
      const temp = typeof slot['batteryTemp'] === 'number' ? slot['batteryTemp'] : undefined;
      const hot = temp !== undefined && temp >= 45;
      const door = doorNumber(slot, i);
      const alarm = alarmed.has(door);
      return h('div', { class: `slot ${String(slot['state'] ?? 'unknown')}${hot ? ' hot' : ''}${faults.length ? ' faulted' : ''}${alarm ? ' alarm' : ''}`, attrs: { 'data-slot': String(door), ...(alarm ? { 'data-alarm': 'true' } : {}) } }, [
        h('b', { text: `${door}` }),
        h('span', { text: String(slot['state'] ?? '?') }),
        h('span', { text: slot['state'] === 'empty' ? '' : `${num(slot['soc'])} %` }),
        h('span', { text: temp !== undefined && slot['state'] !== 'empty' ? `${temp.toFixed(1)} °C` : '' }),
        slot['door'] === 'open' ? h('span', { class: 'door', text: 'door open' }) : undefined,
        faults.length ? h('span', { class: 'fault', text: faults.join(', ') }) : undefined,
      ]);
    }),
  );
  const status = isRecord(p['status']) ? flat(p['status']) : '';
  return h('div', {}, [h('p', { text: `cabinet ${num(p['cabinetTemp'], 1)} °C · ${status}` }), grid]);
}

function dispenser(p: Rec): HTMLElement {
  const status = isRecord(p['status']) ? p['status'] : {};
  const level = typeof p['tankLevel'] === 'number' ? p['tankLevel'] : 0;
  return h('div', { class: 'dispenser' }, [
    h('div', { class: 'tank', title: `tank ${level} %` }, [h('div', { class: 'level', attrs: { style: `width:${Math.max(0, Math.min(100, level))}%` } })]),
    h('p', {
      text: `tank ${num(p['tankLevel'])} % · ${String(p['session'] ?? '—')} ${p['session'] === 'dispensing' ? `${num(p['sessionVolume'])} ml` : ''} · filter ${num(p['filterLife'])} % · hot ${num(p['hotTemp'], 1)} °C`,
    }),
    h('p', { class: status['leak'] === true ? 'bad' : '', text: flat(status) }),
  ]);
}

function eventList(log: EventLog | undefined): HTMLElement {
  const events = log?.list() ?? [];
  if (events.length === 0) return h('p', { class: 'none', attrs: { id: 'station-events' }, text: 'No events since this page opened (events are not retained).' });
  return h(
    'ol',
    { class: 'events', attrs: { id: 'station-events' } },
    events.slice(0, 100).map((e) => h('li', {}, [h('time', { text: e.ts.slice(11, 19) }), ` ${e.type}`, e.device ? ` · ${e.device}` : '', h('small', { text: ` ${JSON.stringify(e.data)}` })])),
  );
}

function nonZero(errors: Record<string, number>): string {
  return Object.entries(errors)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** `a=1 b=true c.d=2`: a compact line for nested point records. */
function flat(r: Rec, prefix = ''): string {
  return Object.entries(r)
    .map(([k, v]) => (isRecord(v) ? flat(v, `${prefix}${k}.`) : `${prefix}${k}=${Array.isArray(v) ? `[${v.length}]` : String(v)}`))
    .join(' ');
}
