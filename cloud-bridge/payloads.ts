import { isRecord } from '../config/is-record.js';
import type { GeoPosition } from '../config/station-schema.js';
import type { DeviceState, Points } from '../device-drivers/device-state.js';
import type { DeviceKind } from '../config/device-kinds.js';
import type { StationResource } from './contract-schemas.js';

/** Payload builders for the contract's topics; docs/contract/*.schema.json describe each. */

export interface DeviceInfo {
  id: string;
  kind: DeviceKind;
  model: string;
}

export interface BirthPayload {
  online: true;
  ts: string;
  version: string;
  bootId: string;
  devices: DeviceInfo[];
  location?: GeoPosition;
  /** IANA zone of station.timezone; a contract extension, so readers treat it as optional. */
  timezone?: string;
  certificate?: { notAfter: string; daysLeft: number };
  /** The revocation list the station honours; absent on a station without access (revocation-contract.ts). */
  revocations?: { seq: number; issuedAt: string; receivedAt: string } | null;
  /** The station file's resources (contract-schemas.ts `resources`); absent from older gateways. */
  resources?: StationResource[];
}

export interface DeathPayload {
  online: false;
  bootId: string;
  ts?: string;
  location?: GeoPosition;
}

/**
 * The configured position as every status payload carries it. The offline ones carry it too:
 * the retained status is all a console that opens later sees, and an offline station is the one
 * an operator most needs to find. Absent, not null, when none is configured, so such a station
 * sends exactly the payloads it always did.
 */
export function locationField(station: { location?: GeoPosition | undefined }): { location?: GeoPosition } {
  const at = station.location;
  return at ? { location: { lat: at.lat, lon: at.lon } } : {};
}

export interface DeviceStatePayload {
  ts: string;
  online: boolean;
  kind: DeviceKind;
  model: string;
  points: Points;
  health: { lastSeen: string | null; errors: Record<string, number>; latencyMs: number | null };
}

export function deviceStatePayload(info: DeviceInfo, state: DeviceState, now: Date): DeviceStatePayload {
  // Error kinds go out in lower case (`timeout`, `crc`, ...): they are keys for dashboards.
  const errors = Object.fromEntries(Object.entries(state.health.errors).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    ts: now.toISOString(),
    online: state.online,
    kind: info.kind,
    model: info.model,
    points: info.kind === 'battery-cabinet' ? withDoorNumbers(state.points) : state.points,
    health: { lastSeen: state.health.lastSeen, errors, latencyMs: state.health.latencyMs },
  };
}

/**
 * A cabinet's `slots` are in register order, so `slots[i]` is the wire's index; people and the
 * rest of the contract (alarms `slot.overheat.<n>`, events, replies, `cmd/slot`) use the number
 * on the door, from 1. Each published slot carries that number as `slot`, so no consumer ever
 * adds 1 itself (docs/decisions.md, "Slot numbers"). Set last: a profile point of the same name
 * cannot make it disagree.
 */
export function withDoorNumbers(points: Points): Points {
  const slots = points['slots'];
  if (!Array.isArray(slots)) return points;
  return { ...points, slots: slots.map((s, i) => (isRecord(s) ? { ...s, slot: i + 1 } : s)) };
}
