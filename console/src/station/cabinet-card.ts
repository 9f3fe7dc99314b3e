import type { Alarm } from '../../../cloud-bridge/contract-schemas.js';
import { h } from '../dom.js';
import { num, stationTime } from '../i18n/format.js';
import { isNum, rec, t, type Rec } from './phrases.js';
import { slotControls, slotService } from './service-controls.js';
import type { AvailabilityRecord } from '../fleet-model.js';
import { SERVICE_TEXT } from '../i18n/service-text.js';
import { words } from '../i18n/locale.js';

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

/** A slot's out-of-service mark: who and when (station time) and why, or "as this console did it" until the station says. */
function slotOff(entry: { by?: string; since?: string; reason?: string } | undefined, local: boolean, zone: string | undefined): HTMLElement {
  const w = words(SERVICE_TEXT);
  // The time alone in the tile (a phone's tile is narrow); the date with it in the title.
  const who = entry?.by && entry.since ? ` · ${w.slotOffBy(entry.by, stationTime(entry.since, zone, false))}` : '';
  const title = local ? w.slotIsOffTitle : entry?.since ? stationTime(entry.since, zone) : undefined;
  return h('span', { class: 'slot-off', attrs: { 'data-local': String(local) }, ...(title ? { title } : {}) }, [
    h('span', { text: '⊘ ', attrs: { 'aria-hidden': 'true' } }),
    `${w.slotIsOff}${who}`,
    entry?.reason ? h('span', { class: 'out-reason', text: ` · ${w.outReason(entry.reason)}` }) : undefined,
  ]);
}

/** The cabinet's own status bits, each in words; the bad ones first and marked. */
function cabinetStatus(status: Rec): HTMLElement[] {
  const w = t();
  return Object.entries(w.cabinetStatus)
    .filter(([k]) => typeof status[k] === 'boolean')
    .map(([k, [good, bad]]) => {
      // mainsOk is good when true; smoke, tamper and fan fault are bad when true.
      const isBad = k === 'mainsOk' ? status[k] === false : status[k] === true;
      return h('span', { class: isBad ? 'bad' : 'muted', attrs: { 'data-status-bit': k } }, [isBad ? h('span', { text: '⚠ ', attrs: { 'aria-hidden': 'true' } }) : undefined, isBad ? bad : good]);
    });
}

/**
 * The cabinet as its slots, labelled by door number: state, charge, temperature, door, faults and
 * alarms in words; with its device id, also each slot out of service and back (service-controls.ts).
 */
export function cabinetBody(p: Rec, alarmed: ReadonlySet<number>, device?: string, availability?: AvailabilityRecord, zone?: string): HTMLElement {
  const w = t();
  const slots = Array.isArray(p['slots']) ? p['slots'] : [];
  const status = cabinetStatus(rec(p['status']));
  const head: Array<Node | string> = [isNum(p['cabinetTemp']) ? w.cabinetTemp(num(p['cabinetTemp'], 1)) : ''];
  for (const s of status) head.push(' · ', s);
  const grid = h(
    'ul',
    { class: 'slots' },
    slots.map((raw, i) => {
      const slot = rec(raw);
      const state = String(slot['state'] ?? 'unknown');
      const faults = Object.entries(rec(slot['fault'])).filter(([, v]) => v === true).map(([k]) => w.fault[k] ?? k);
      const temp = isNum(slot['batteryTemp']) ? slot['batteryTemp'] : undefined;
      const hot = temp !== undefined && temp >= 45;
      const door = doorNumber(slot, i);
      const alarm = alarmed.has(door);
      const hasBattery = state !== 'empty';
      // Out of service as the station publishes it (every operator sees it), or as this console just did it.
      const service = device === undefined ? undefined : slotService(availability, device, door);
      const enabled = service?.enabled;
      return h(
        'li',
        {
          class: `slot ${state}${hot ? ' hot' : ''}${faults.length ? ' faulted' : ''}${alarm ? ' alarm' : ''}${enabled === false ? ' out-of-service' : ''}`,
          attrs: {
            'data-slot': String(door),
            'data-key': `slot-${door}`,
            'aria-label': w.slot(String(door)),
            ...(alarm ? { 'data-alarm': 'true' } : {}),
            ...(enabled === undefined ? {} : { 'data-enabled': String(enabled) }),
          },
        },
        [
          h('b', { text: `${door}` }),
          h('span', { class: 'slot-state', text: w.slotState[state] ?? state }),
          h('span', { text: hasBattery && isNum(slot['soc']) ? w.charge(num(slot['soc'])) : '' }),
          h('span', { text: hasBattery && temp !== undefined ? `${num(temp, 1)} °C` : '' }),
          slot['door'] === 'open' ? h('span', { class: 'door', text: w.doorOpen }) : undefined,
          faults.length ? h('span', { class: 'fault', text: faults.join(w.list) }) : undefined,
          alarm ? h('span', { class: 'slot-alarm' }, [h('span', { text: '⚠ ', attrs: { 'aria-hidden': 'true' } }), w.slotAlarm]) : undefined,
          enabled === false ? slotOff(service?.entry, service?.local === true, zone) : undefined,
        ],
      );
    }),
  );
  const doors = slots.map((raw, i) => doorNumber(rec(raw), i));
  return h('div', { class: 'cabinet' }, [h('p', { class: 'cabinet-status' }, head), grid, device === undefined ? undefined : slotControls(device, doors)]);
}
