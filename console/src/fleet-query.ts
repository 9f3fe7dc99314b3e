import { SEVERITY_RANK, type StationRecord } from './fleet-model.js';

export type FleetFilter = 'all' | 'offline' | 'critical' | 'no-batteries';
export type SortKey = 'id' | 'status' | 'alarm' | 'batteries' | 'heard';

export interface FleetQuery {
  text: string;
  filter: FleetFilter;
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_QUERY: FleetQuery = { text: '', filter: 'all', sort: 'alarm', descending: false };

export function matchesFilter(s: StationRecord, filter: FleetFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'offline':
      return s.online !== true;
    case 'critical':
      return s.worst === 'critical';
    case 'no-batteries':
      return s.readyBatteries === 0;
  }
}

export type StationStatus = 'online' | 'offline' | 'unknown';

export function stationStatus(s: StationRecord): StationStatus {
  return s.online === true ? 'online' : s.online === false ? 'offline' : 'unknown';
}

/** Whether two queries select the same stations (a new sort or a new text is a new list; the scroll starts over). */
export function sameSelection(a: FleetQuery, b: FleetQuery): boolean {
  return a.text.trim().toLowerCase() === b.text.trim().toLowerCase() && a.filter === b.filter && a.sort === b.sort && a.descending === b.descending;
}

/** What a map dot's colour says; offline wins, since a station that is down has alarms nobody can trust. */
export type MapState = 'offline' | 'critical' | 'ok';

export function mapState(s: StationRecord): MapState {
  if (s.online !== true) return 'offline';
  return s.worst === 'critical' ? 'critical' : 'ok';
}

/** An alarm's name in the operator's language, so that "过热" finds `slot.overheat.5`; the code itself matches too. */
export type AlarmNamer = (alarm: string) => string;

function matchesText(s: StationRecord, text: string, alarmName: AlarmNamer | undefined): boolean {
  if (text === '') return true;
  if (s.id.toLowerCase().includes(text)) return true;
  return s.alarms.some(
    (a) => a.alarm.toLowerCase().includes(text) || (a.device ?? '').toLowerCase().includes(text) || (alarmName !== undefined && alarmName(a.alarm).toLowerCase().includes(text)),
  );
}

/** Lower sorts first: offline before online, worst alarm before none, fewest batteries first. */
function sortValue(s: StationRecord, key: SortKey): number | string {
  switch (key) {
    case 'id':
      return s.id;
    case 'status':
      return s.online === true ? 2 : s.online === false ? 0 : 1;
    case 'alarm':
      return s.worst ? SEVERITY_RANK[s.worst] : 9;
    case 'batteries':
      return s.readyBatteries ?? Number.MAX_SAFE_INTEGER;
    case 'heard':
      return s.lastHeard ?? 0;
  }
}

/** The stations the list shows, in order; ties fall back to the station id so the order is stable. */
export function queryFleet(stations: Iterable<StationRecord>, q: FleetQuery, alarmName?: AlarmNamer): StationRecord[] {
  const text = q.text.trim().toLowerCase();
  const rows: Array<{ s: StationRecord; v: number | string }> = [];
  for (const s of stations) if (matchesFilter(s, q.filter) && matchesText(s, text, alarmName)) rows.push({ s, v: sortValue(s, q.sort) });
  const dir = q.descending ? -1 : 1;
  rows.sort((a, b) => (a.v < b.v ? -dir : a.v > b.v ? dir : a.s.id < b.s.id ? -1 : a.s.id > b.s.id ? 1 : 0));
  return rows.map((r) => r.s);
}

export interface FleetCounts {
  total: number;
  online: number;
  offline: number;
  critical: number;
  noBatteries: number;
}

export function countFleet(stations: Iterable<StationRecord>): FleetCounts {
  const c: FleetCounts = { total: 0, online: 0, offline: 0, critical: 0, noBatteries: 0 };
  for (const s of stations) {
    c.total++;
    if (s.online === true) c.online++;
    else c.offline++;
    if (s.worst === 'critical') c.critical++;
    if (s.readyBatteries === 0) c.noBatteries++;
  }
  return c;
}
