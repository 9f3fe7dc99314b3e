import type { DeviceState, PointValue, Points } from '../../device-drivers/device.js';

/*
 * Reading device points defensively: a profile for another vendor may lack a point or name a bit
 * differently, and a missing value must read as "unknown", never as a crash or a made-up zero.
 */

export function readNumber(points: Points, key: string): number | undefined {
  const v = points[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function readString(points: Points, key: string): string | undefined {
  const v = points[key];
  return typeof v === 'string' ? v : undefined;
}

/** A `bits` point as a record of flags; a missing point is no flags. */
export function readFlags(points: Points, key: string): Record<string, boolean> {
  const v = points[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, boolean] => typeof e[1] === 'boolean'));
}

export interface SlotView {
  /** 0-based, as in the registers and the published state (`slots[3]`). */
  index: number;
  /** 1-based, as in the contract's `slot` command, events, replies and alarms. */
  slot: number;
  state: string;
  hasBattery: boolean;
  doorOpen: boolean;
  soc: number | undefined;
  batteryTemp: number | undefined;
  /** Names of the fault bits that are set. */
  faults: string[];
  overTemperature: boolean;
  batteryId: number | undefined;
  packType: number | undefined;
}

export interface CabinetView {
  online: boolean;
  smoke: boolean;
  slots: SlotView[];
}

/** A cabinet's state (any profile with a `slots` group in the reference's names) as station logic reads it. */
export function cabinetView(state: DeviceState): CabinetView {
  const rawSlots = state.points['slots'];
  const slots = Array.isArray(rawSlots) ? rawSlots : [];
  return {
    online: state.online,
    smoke: readFlags(state.points, 'status')['smoke'] === true,
    slots: slots.map((raw, index) => slotView(typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}, index)),
  };
}

function slotView(p: Record<string, PointValue>, index: number): SlotView {
  const faults = readFlags(p, 'fault');
  const state = readString(p, 'state') ?? 'unknown';
  const id = readNumber(p, 'batteryId');
  return {
    index,
    slot: index + 1,
    state,
    // A vendor without battery ids still reports the slot state.
    hasBattery: state !== 'empty' && state !== 'unknown',
    doorOpen: readString(p, 'door') === 'open',
    soc: readNumber(p, 'soc'),
    batteryTemp: readNumber(p, 'batteryTemp'),
    faults: Object.keys(faults).filter((k) => faults[k]),
    overTemperature: faults['overTemperature'] === true,
    batteryId: id === 0 ? undefined : id,
    packType: readNumber(p, 'packType'),
  };
}

/** The key a pack type is counted under in availability (`48V`). */
export const packKey = (packType: number | undefined): string => (packType === undefined ? 'unknown' : `${packType}V`);
