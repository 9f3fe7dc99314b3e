import type { Alarm } from '../../../cloud-bridge/contract-schemas.js';
import type { DeviceStatePayload } from '../../../cloud-bridge/payloads.js';
import { h } from '../dom.js';
import type { StationRecord } from '../fleet-model.js';
import { num, stationTime } from '../i18n/format.js';
import { words } from '../i18n/locale.js';
import { OPERATOR_TEXT } from '../i18n/operator-text.js';
import { alarmList } from '../station/alarm-list.js';
import { availabilityView } from '../station/availability.js';
import { deviceCard } from '../station/device-card.js';
import { t as stationWords } from '../station/phrases.js';
import { buildWith } from './view-context.js';

/*
 * A `cmd/snapshot` reply drawn with the station cards' own words (alarms, services, each device
 * as what it is), as of the snapshot's time; the JSON is there too, folded, for whoever needs it.
 * Built without the operator's controls: acting is done on the live view above, not on a copy.
 */

interface SnapshotResult {
  station?: string;
  ts?: string;
  version?: string;
  bootId?: string;
  devices?: Record<string, DeviceStatePayload | null>;
  alarms?: Alarm[] | null;
  availability?: { open: boolean; services: Record<string, unknown> } | null;
  outbox?: { pending?: number };
}

export function snapshotView(result: Record<string, unknown>, zone: string | undefined): HTMLElement {
  const t = words(OPERATOR_TEXT);
  const w = stationWords();
  const r = result as SnapshotResult;
  const alarms = Array.isArray(r.alarms) ? r.alarms : [];
  const record: StationRecord = {
    id: r.station ?? '',
    online: true,
    bootId: r.bootId,
    version: r.version,
    devices: new Map(),
    alarms,
    worst: undefined,
    availability: r.availability ? { open: r.availability.open, services: r.availability.services } : undefined,
    readyBatteries: undefined,
    lastHeard: undefined,
    location: undefined,
  };
  const devices = Object.entries(r.devices ?? {}).map(([id, state]) => ({ id, kind: state?.kind ?? 'unknown', model: state?.model ?? '', state: state ?? undefined }));
  const body = buildWith(undefined, () => [
    h('p', { class: 'meta' }, [
      t.snapshotTaken(stationTime(r.ts, zone)),
      h('br'),
      [r.version ? w.version(r.version) : undefined, r.bootId ? w.boot(r.bootId) : undefined].filter(Boolean).join(' · '),
      h('br'),
      t.snapshotOutbox(num(r.outbox?.pending ?? 0)),
    ]),
    h('h4', { text: w.alarms }),
    r.alarms === null ? h('p', { class: 'none', text: t.snapshotNoAlarms }) : alarmList(alarms, zone, false),
    h('h4', { text: w.availability }),
    r.availability ? availabilityView(record) : h('p', { class: 'none', text: t.snapshotNoAvailability }),
    h('h4', { text: w.devices }),
    h('div', { class: 'devices' }, devices.map((d) => deviceCard(d, alarms, true, zone))),
    h('details', { class: 'raw', attrs: { 'data-key': 'raw' } }, [h('summary', { text: t.raw }), h('pre', { text: JSON.stringify(result, null, 2) })]),
  ]);
  const section = h('section', { class: 'snapshot', attrs: { id: 'station-snapshot', 'aria-labelledby': 'station-snapshot-heading', 'data-ts': r.ts ?? '' } }, [h('h3', { text: t.snapshotHeading, attrs: { id: 'station-snapshot-heading' } }), ...body]);
  // The cards carry the live view's ids (#station-alarms, …): one page, one of each.
  for (const el of section.querySelectorAll('[id]')) if (el !== section && el.id !== 'station-snapshot-heading') el.removeAttribute('id');
  return section;
}
