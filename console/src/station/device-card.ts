import type { Alarm } from '../../../cloud-bridge/contract-schemas.js';
import { h } from '../dom.js';
import { num } from '../i18n/format.js';
import type { AvailabilityRecord, DeviceRecord } from '../fleet-model.js';
import { alarmedDoors, cabinetBody } from './cabinet-card.js';
import { lockBody, scannerBody } from './door-cards.js';
import { age, moment, t } from './phrases.js';
import { dispenserBody, genericBody, occupancyBody, smokeBody } from './utility-cards.js';

export type DeviceStatus = 'online' | 'offline' | 'unknown' | 'stale';

/**
 * What a device card may claim: a device of a station that is offline is not "online", whatever
 * its last state said; it is "last known", as of its last good read.
 */
export function deviceStatus(d: DeviceRecord, stationOnline: boolean | undefined): DeviceStatus {
  if (!d.state) return 'unknown';
  if (stationOnline === false) return 'stale';
  return d.state.online ? 'online' : 'offline';
}

const DOT: Record<DeviceStatus, string> = { online: '●', offline: '○', unknown: '○', stale: '◌' };

/** `availability`: the station's, for the slots out of service a cabinet card marks (any operator's). */
export function deviceCard(d: DeviceRecord, alarms: readonly Alarm[], stationOnline: boolean | undefined, zone: string | undefined, availability?: AvailabilityRecord): HTMLElement {
  const w = t();
  const st = d.state;
  const status = deviceStatus(d, stationOnline);
  const lastSeen = st?.health.lastSeen ? Date.parse(st.health.lastSeen) : NaN;
  const asOf = Number.isFinite(lastSeen) ? lastSeen : st ? Date.parse(st.ts) : NaN;
  const errors = st ? Object.entries(st.health.errors).filter(([, n]) => n > 0).map(([k, n]) => `${w.errorName[k.toLowerCase()] ?? k} ${num(n)}`) : [];
  const stale = status === 'stale' || status === 'offline';
  let body: HTMLElement | undefined;
  if (st) {
    const p = st.points;
    if (d.kind === 'battery-cabinet') body = cabinetBody(p, alarmedDoors(alarms, d.id), d.id, availability, zone);
    else if (d.kind === 'door-lock') body = lockBody(p, d.id);
    else if (d.kind === 'qr-scanner') body = scannerBody(p, zone);
    else if (d.kind === 'water-dispenser') body = dispenserBody(p);
    else if (d.kind === 'occupancy') body = occupancyBody(p);
    else if (d.kind === 'smoke-detector') body = smokeBody(p);
    else body = genericBody(p);
  }
  return h('article', { class: `device ${status}${stale ? ' stale' : ''}`, attrs: { 'data-device': d.id, 'data-key': d.id, 'data-status': status, 'data-kind': d.kind } }, [
    h('h4', {}, [
      h('span', { class: `dot ${status}`, text: DOT[status], attrs: { 'aria-hidden': 'true' } }),
      ` ${w.kind[d.kind] ?? d.kind} `,
      h('small', { class: 'device-id', text: `${d.id} · ${d.model}` }),
      ' ',
      h('span', { class: `device-status ${status}`, text: w.device[status] }),
    ]),
    stale && Number.isFinite(asOf) ? h('p', { class: 'last-known' }, [`${w.lastKnown} · `, age(asOf)]) : undefined,
    st
      ? h('p', { class: 'health' }, [
          `${w.lastRead} `,
          ...(Number.isFinite(lastSeen) ? moment(lastSeen, zone) : [w.never]),
          ` · ${w.latency(num(st.health.latencyMs, 0))} · ${errors.length ? w.errors(errors.join(w.list)) : w.noErrors}`,
        ])
      : h('p', { class: 'health', text: w.noState }),
    body,
  ]);
}
