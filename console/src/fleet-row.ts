import type { StationRecord } from './fleet-model.js';
import { stationStatus, type AlarmNamer, type StationStatus } from './fleet-query.js';
import type { FLEET_TEXT } from './i18n/fleet-text.js';

type FleetWords = (typeof FLEET_TEXT)['en'];

/** What one row of the fleet list says, in words: kept apart from the DOM so it can be tested without a browser. */
export interface RowText {
  status: StationStatus;
  /** Always shown beside the status dot: the colour alone says nothing to a colour-blind operator. */
  statusText: string;
  alarm: { severity: string; severityText: string; name: string; more: string | undefined } | undefined;
  /** Open or closed and the ready batteries; for an offline station what it last said, marked as such. */
  availability: string;
  /** The availability is what the station said before it went offline, not what is true now. */
  stale: boolean;
  heard: string;
}

export interface RowNames {
  alarm: AlarmNamer;
  severity: (severity: string) => string;
  ago: (ms: number | undefined) => string;
}

export function describeRow(s: StationRecord, t: FleetWords, names: RowNames): RowText {
  const status = stationStatus(s);
  const heard = names.ago(s.lastHeard);
  const first = s.alarms[0];
  const parts: string[] = [];
  if (s.availability) parts.push(s.availability.open ? t.open : t.closed);
  if (s.readyBatteries !== undefined) parts.push(t.ready(s.readyBatteries));
  const known = parts.join(' · ');
  const stale = status === 'offline' && known !== '';
  return {
    status,
    statusText: status === 'offline' ? t.offlineFor(heard) : t.status[status],
    alarm: first
      ? {
          severity: first.severity,
          severityText: names.severity(first.severity),
          name: names.alarm(first.alarm),
          more: s.alarms.length > 1 ? t.moreAlarms(s.alarms.length - 1) : undefined,
        }
      : undefined,
    availability: stale ? t.lastKnown(known) : known || '—',
    stale,
    heard,
  };
}
