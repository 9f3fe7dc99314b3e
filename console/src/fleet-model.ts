import { ALARM_SEVERITIES } from '../../cloud-bridge/alarm-catalogue.js';
import type { Alarm } from '../../cloud-bridge/contract-schemas.js';
import type { DeviceStatePayload } from '../../cloud-bridge/payloads.js';
import { isRecord } from '../../config/is-record.js';
import type { GeoPosition } from '../../config/station-schema.js';
import { stationResources, type StationResource } from './operator/station-resources.js';

/**
 * The fleet as the contract's retained topics describe it, kept by station id. Pure data: the
 * views read it, `applyMessage` is the only writer. Built on the contract alone (docs/mqtt-topics.md)
 * so that it works against any broker that carries the stations' topics.
 */

export type Severity = Alarm['severity'];
export const SEVERITY_RANK = Object.fromEntries(ALARM_SEVERITIES.map((s, i) => [s, i])) as Readonly<Record<Severity, number>>;

export interface DeviceRecord {
  id: string;
  kind: string;
  model: string;
  /** The latest `S/devices/<id>`; undefined until one arrived. */
  state: DeviceStatePayload | undefined;
}

export interface AvailabilityRecord {
  open: boolean;
  services: Record<string, unknown>;
  /** `outOfService` as sent (who took which resource out, when, why); the station view checks each entry. */
  outOfService?: unknown[];
}

export interface StationRecord {
  id: string;
  /** undefined until a status arrived (a station that never connected since the broker started). */
  online: boolean | undefined;
  bootId: string | undefined;
  version: string | undefined;
  devices: Map<string, DeviceRecord>;
  alarms: Alarm[];
  worst: Severity | undefined;
  availability: AvailabilityRecord | undefined;
  /** Ready batteries: from availability when published, else counted in the cabinets' slots. */
  readyBatteries: number | undefined;
  /** ms since epoch of the newest `ts` the station sent (the Last Will carries none). */
  lastHeard: number | undefined;
  /** From the status (birth, Last Will, clean offline), where the station has one configured. */
  location: GeoPosition | undefined;
  /** The station's IANA zone from its birth (`station.timezone`): station times are shown in it. Absent from gateways older than the field. */
  timezone?: string;
  /** The station file's resources from its birth (which name is which door); absent from older gateways. */
  resources?: StationResource[];
}

export interface Fleet {
  readonly prefix: string;
  readonly stations: Map<string, StationRecord>;
  /** Messages that were not JSON objects: counted, never fatal (one broken station must not blind the console). */
  malformed: number;
  /** State messages applied (the benchmark waits for all retained ones). */
  received: number;
}

export function createFleet(prefix = 'stations'): Fleet {
  return { prefix, stations: new Map(), malformed: 0, received: 0 };
}

export interface ParsedTopic {
  station: string;
  /** `status`, `alarms`, `availability`, `events`, `device` */
  kind: string;
  device?: string;
}

export function parseTopic(prefix: string, topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(`${prefix}/`)) return undefined;
  const parts = topic.slice(prefix.length + 1).split('/');
  const [station, kind, device] = parts;
  if (!station || !kind) return undefined;
  if (kind === 'devices') return parts.length === 3 && device ? { station, kind: 'device', device } : undefined;
  return parts.length === 2 ? { station, kind } : undefined;
}

function emptyStation(id: string): StationRecord {
  return {
    id,
    online: undefined,
    bootId: undefined,
    version: undefined,
    devices: new Map(),
    alarms: [],
    worst: undefined,
    availability: undefined,
    readyBatteries: undefined,
    lastHeard: undefined,
    location: undefined,
  };
}

const decoder = new TextDecoder();

function parseObject(payload: Uint8Array | string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Applies one message of a status, alarms, availability or device topic; returns the station it
 * changed, or undefined. An empty retained payload (a cleared retained topic) forgets that part.
 */
export function applyMessage(fleet: Fleet, topic: string, payload: Uint8Array | string): StationRecord | undefined {
  const t = parseTopic(fleet.prefix, topic);
  if (!t || t.kind === 'events') return undefined;
  fleet.received++;
  let station = fleet.stations.get(t.station);
  if (payload.length === 0) {
    if (!station) return undefined;
    if (t.kind === 'device' && t.device) station.devices.delete(t.device);
    else if (t.kind === 'alarms') setAlarms(station, []);
    else if (t.kind === 'availability') station.availability = undefined;
    station.readyBatteries = readyBatteries(station);
    return station;
  }
  const body = parseObject(payload);
  if (!body) {
    fleet.malformed++;
    return undefined;
  }
  if (!station) {
    station = emptyStation(t.station);
    fleet.stations.set(t.station, station);
  }
  switch (t.kind) {
    case 'status':
      applyStatus(station, body);
      break;
    case 'alarms':
      setAlarms(station, Array.isArray(body['alarms']) ? (body['alarms'] as Alarm[]) : []);
      break;
    case 'availability':
      station.availability = { open: body['open'] === true, services: isRecord(body['services']) ? body['services'] : {}, ...(Array.isArray(body['outOfService']) ? { outOfService: body['outOfService'] } : {}) };
      break;
    case 'device':
      if (t.device) applyDevice(station, t.device, body as unknown as DeviceStatePayload);
      break;
    default:
      return undefined;
  }
  heard(station, body['ts']);
  station.readyBatteries = readyBatteries(station);
  return station;
}

function applyStatus(station: StationRecord, body: Record<string, unknown>): void {
  station.online = body['online'] === true;
  if (typeof body['bootId'] === 'string') station.bootId = body['bootId'];
  if (typeof body['version'] === 'string') station.version = body['version'];
  // Every status may carry the position. A birth without one means the station has none (any
  // more); an offline status without one comes from a gateway older than the field: keep what we had.
  const at = geoPosition(body['location']);
  if (at || body['online'] === true) station.location = at;
  // Only the birth carries the zone; the Last Will and clean offline keep the one we had.
  if (body['online'] === true) {
    const zone = timeZone(body['timezone']);
    if (zone) station.timezone = zone;
    else delete station.timezone;
    const resources = stationResources(body['resources']);
    if (resources) station.resources = resources;
    else delete station.resources;
  }
  if (!Array.isArray(body['devices'])) return;
  // The birth lists what the station drives now: a device it no longer has is dropped.
  const listed = new Set<string>();
  for (const d of body['devices'] as Array<Record<string, unknown>>) {
    if (typeof d['id'] !== 'string') continue;
    listed.add(d['id']);
    const known = station.devices.get(d['id']);
    station.devices.set(d['id'], { id: d['id'], kind: String(d['kind'] ?? ''), model: String(d['model'] ?? ''), state: known?.state });
  }
  for (const id of station.devices.keys()) if (!listed.has(id)) station.devices.delete(id);
}

function applyDevice(station: StationRecord, id: string, state: DeviceStatePayload): void {
  station.devices.set(id, { id, kind: String(state.kind ?? station.devices.get(id)?.kind ?? ''), model: String(state.model ?? ''), state });
}

function setAlarms(station: StationRecord, alarms: Alarm[]): void {
  station.alarms = [...alarms].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  station.worst = station.alarms[0]?.severity;
}

function heard(station: StationRecord, ts: unknown): void {
  if (typeof ts !== 'string') return;
  const ms = Date.parse(ts);
  if (Number.isFinite(ms) && (station.lastHeard === undefined || ms > station.lastHeard)) station.lastHeard = ms;
}

/** An IANA zone this browser knows, else undefined: a zone Intl refuses would throw in every formatter. */
function timeZone(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return v;
  } catch {
    return undefined;
  }
}

/** A `{lat, lon}` in range, else undefined: a bad position is no position, not a dot off the map. */
function geoPosition(v: unknown): GeoPosition | undefined {
  if (!isRecord(v)) return undefined;
  const { lat, lon } = v;
  if (typeof lat !== 'number' || typeof lon !== 'number') return undefined;
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

/** Sum of `services.batteries.ready` by pack type, or the ready slots of the station's cabinets. */
export function readyBatteries(station: StationRecord): number | undefined {
  const batteries = station.availability?.services['batteries'];
  if (isRecord(batteries) && isRecord(batteries['ready'])) {
    return Object.values(batteries['ready']).reduce<number>((n, v) => n + (typeof v === 'number' ? v : 0), 0);
  }
  let cabinets = 0;
  let ready = 0;
  for (const d of station.devices.values()) {
    if (d.kind !== 'battery-cabinet' || !d.state) continue;
    cabinets++;
    const slots = d.state.points['slots'];
    if (Array.isArray(slots)) ready += slots.filter((s) => isRecord(s) && s['state'] === 'ready').length;
  }
  return cabinets > 0 ? ready : undefined;
}

/** Devices that report themselves offline (a station can be online with a dead cabinet). */
export function offlineDevices(station: StationRecord): number {
  let n = 0;
  for (const d of station.devices.values()) if (d.state && !d.state.online) n++;
  return n;
}
