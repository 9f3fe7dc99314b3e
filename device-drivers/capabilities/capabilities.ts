import type { DeviceState } from '../device-state.js';
import type { SlotState } from '../../config/role-catalogue.js';

/*
 * The typed capability interfaces the station logic programs against. A driver of a kind (a
 * Modbus profile, a line-protocol controller, a GPIO pin) implements its kind's interface, and
 * readings arrive already in the contract's terms: canonical states, °C, %, door numbers. No
 * point name or command string of any vendor reaches gateway/station.
 *
 * Slots: `index` from 0 (the register instance, the position in `slots`), `slot` from 1 (the door
 * number people see and the contract uses): slot = index + 1.
 */

/** A slot state the profile maps to nothing the logic knows: never offered, never used for a return. */
export type SlotStateReading = SlotState | 'unknown';

export interface SlotReading {
  index: number;
  slot: number;
  state: SlotStateReading;
  /** A battery is in the slot: the `present` role, else every state but empty (unknown counts as occupied). */
  hasBattery: boolean;
  /** Undefined on a cabinet without door sensors (`lacks: [doorSensor]`), or when the reading lacked it. */
  doorOpen: boolean | undefined;
  charge: number | undefined;
  /** °C; the hottest of the bound sensors. */
  batteryTemperature: number | undefined;
  overTemperature: boolean;
  /** Names of the fault flags that are set. */
  faults: string[];
  /** Undefined for no battery id (a vendor's 0 or empty string is no id). */
  batteryId: string | undefined;
  /** The pack type as availability counts it (`48V`, or the vendor's label), or undefined. */
  packType: string | undefined;
  stateOfHealth: number | undefined;
  cycleCount: number | undefined;
  cellVoltageSpread: number | undefined;
}

export interface CabinetReading {
  online: boolean;
  /** Undefined where the profile binds no smoke role. */
  smoke: boolean | undefined;
  mainsOk: boolean | undefined;
  tamper: boolean | undefined;
  fanFault: boolean | undefined;
  cabinetTemperature: number | undefined;
  slots: SlotReading[];
}

/** What a cabinet model has, from its profile: the station logic adapts to what is missing. */
export interface CabinetParts {
  doorSensor: boolean;
  chargingSwitch: boolean;
  cabinetChargingCut: boolean;
  smokeSensor: boolean;
  batteryIds: boolean;
}

export interface BatteryCabinet {
  readonly kind: 'battery-cabinet';
  readonly parts: CabinetParts;
  /** The monitor's state in the contract's terms. */
  reading(state: DeviceState): CabinetReading;
  /** Opens slot `index`'s door (a pulse: the cabinet relocks it). */
  openSlotDoor(index: number): Promise<void>;
  /** Switches slot `index`'s charging; rejects with DeviceError UNSUPPORTED on a cabinet without the switch. */
  setCharging(index: number, on: boolean): Promise<void>;
  /** Switches the whole cabinet's charging; rejects with DeviceError UNSUPPORTED where the profile binds none. */
  setCabinetCharging(on: boolean): Promise<void>;
}

export interface DispenserReading {
  online: boolean;
  leak: boolean;
  dispensing: boolean;
  sessionVolume: number | undefined;
  tankLevel: number | undefined;
  filterDue: boolean;
  /** Undefined where the valve cannot be read back (`lacks: [valveReadback]`). */
  valveOpen: boolean | undefined;
  hotTemperature: number | undefined;
}

export interface WaterDispenser {
  readonly kind: 'water-dispenser';
  reading(state: DeviceState): DispenserReading;
  setDispensing(on: boolean): Promise<void>;
}

export interface OccupancyReading {
  online: boolean;
  /** False for a sensor reporting a fault: its numbers are not to be trusted. */
  usable: boolean;
  /** People inside: the people role, else presence as 0 or 1; undefined when neither was read. */
  people: number | undefined;
  stillSeconds: number | undefined;
}

export interface OccupancySensor {
  readonly kind: 'occupancy';
  reading(state: DeviceState): OccupancyReading;
}

export interface SmokeReading {
  online: boolean;
  smoke: boolean;
  fault: boolean;
}

export interface SmokeDetector {
  readonly kind: 'smoke-detector';
  reading(state: DeviceState): SmokeReading;
}

export interface DoorController {
  readonly kind: 'door-lock';
  /** Releases door `door` (from 1) for `ms`; the controller relocks it by itself. */
  unlock(door: number, ms: number): Promise<{ door: number; released: true; acknowledged: boolean }>;
  /**
   * Fire egress: every door released (true) until told otherwise (false). A controller that can
   * only pulse is re-pulsed by the caller while the fire lasts.
   */
  release?(on: boolean): Promise<void>;
}

export type Capability = BatteryCabinet | WaterDispenser | OccupancySensor | SmokeDetector | DoorController;
