import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type {
  BatteryCabinet,
  CabinetParts,
  CabinetReading,
  DispenserReading,
  SlotReading,
  SlotStateReading,
  WaterDispenser,
} from '../../../device-drivers/capabilities/capabilities.js';
import { DeviceError } from '../../../device-drivers/device-error.js';

export { FakeClock } from '../../helpers/fake-clock.js';

/** A slot as a test describes it; the rest of the reading is filled in as a cabinet would report it. */
export interface SlotSpec {
  state?: SlotStateReading;
  door?: 'open' | 'closed';
  soc?: number;
  batteryTemp?: number;
  overTemperature?: boolean;
  chargerFault?: boolean;
  /** A battery is in the slot, where the state alone does not say. */
  present?: boolean;
  /** A number as the reference cabinet reports it (0: none); an id string as is. */
  batteryId?: number | string;
  /** Nominal volts (48), read as `48V`. */
  packType?: number;
}

/** Every part a cabinet may have: the reference cabinet. */
export const FULL_PARTS: CabinetParts = { doorSensor: true, chargingSwitch: true, cabinetChargingCut: false, smokeSensor: true, batteryIds: true };

export function slotReading(index: number, s: SlotSpec, parts: CabinetParts = FULL_PARTS): SlotReading {
  const state = s.state ?? 'empty';
  const full = state !== 'empty';
  const id = s.batteryId ?? (full ? 1000 : 0);
  const pack = s.packType ?? (full ? 48 : 0);
  return {
    index,
    slot: index + 1,
    state,
    hasBattery: s.present ?? full,
    doorOpen: parts.doorSensor ? (s.door ?? 'closed') === 'open' : undefined,
    charge: s.soc ?? (full ? 50 : 0),
    batteryTemperature: s.batteryTemp ?? 30,
    overTemperature: s.overTemperature ?? false,
    faults: s.chargerFault ? ['chargerFault'] : [],
    batteryId: !parts.batteryIds || id === 0 || id === '' ? undefined : String(id),
    packType: pack === 0 ? undefined : `${pack}V`,
    stateOfHealth: undefined,
    cycleCount: undefined,
    cellVoltageSpread: undefined,
  };
}

/** An online cabinet's reading, as the reference profile's capability reports it. */
export function cabinetReading(slots: SlotSpec[], smoke: boolean | undefined = false, parts: CabinetParts = FULL_PARTS): CabinetReading {
  return {
    online: true,
    smoke: parts.smokeSensor ? smoke : undefined,
    mainsOk: true,
    tamper: false,
    fanFault: false,
    cabinetTemperature: 24,
    slots: slots.map((s, i) => slotReading(i, s, parts)),
  };
}

export const offlineCabinet = (): CabinetReading => ({ online: false, smoke: undefined, mainsOk: undefined, tamper: undefined, fanFault: undefined, cabinetTemperature: undefined, slots: [] });

export type CabinetCall = { command: 'openSlotDoor'; index: number } | { command: 'setCharging'; index: number; on: boolean } | { command: 'setCabinetCharging'; on: boolean };

/**
 * A BatteryCabinet in memory: it records every command and rejects those its parts lack with
 * UNSUPPORTED, as a profiled driver does; `fail` makes the next commands reject with a timeout.
 * Its slots are what the test sets; `read()` is the reading the station logic is fed.
 */
export class FakeCabinet implements BatteryCabinet {
  readonly kind = 'battery-cabinet';
  readonly parts: CabinetParts;
  readonly calls: CabinetCall[] = [];
  slots: SlotSpec[];
  smoke = false;
  fail = false;
  /** Commands that are UNSUPPORTED although the parts say otherwise (a profile that promised too much). */
  readonly refuse = new Set<CabinetCall['command']>();

  constructor(slots: SlotSpec[] = [], parts: Partial<CabinetParts> = {}) {
    this.slots = slots;
    this.parts = { ...FULL_PARTS, ...parts };
  }

  reading(): CabinetReading {
    return cabinetReading(this.slots, this.smoke, this.parts);
  }

  read(): CabinetReading {
    return this.reading();
  }

  openSlotDoor(index: number): Promise<void> {
    return this.run({ command: 'openSlotDoor', index }, true);
  }

  setCharging(index: number, on: boolean): Promise<void> {
    return this.run({ command: 'setCharging', index, on }, this.parts.chargingSwitch);
  }

  setCabinetCharging(on: boolean): Promise<void> {
    return this.run({ command: 'setCabinetCharging', on }, this.parts.cabinetChargingCut);
  }

  /** Commands of one kind, as `[on, index]` pairs (as the old commander fake listed them). */
  of(command: 'openSlotDoor'): number[];
  of(command: 'setCharging'): Array<[boolean, number]>;
  of(command: 'setCabinetCharging'): boolean[];
  of(command: CabinetCall['command']): unknown[] {
    return this.calls
      .filter((c) => c.command === command)
      .map((c) => (c.command === 'openSlotDoor' ? c.index : c.command === 'setCharging' ? [c.on, c.index] : c.on));
  }

  private run(call: CabinetCall, has: boolean): Promise<void> {
    this.calls.push(call);
    if (!has || this.refuse.has(call.command)) return Promise.reject(new DeviceError('UNSUPPORTED', `the fake cabinet has no ${call.command}`));
    return this.fail ? Promise.reject(new DeviceError('TIMEOUT', 'the fake cabinet did not answer')) : Promise.resolve();
  }
}

/** A WaterDispenser in memory: `state` is what it reports, every valve write is recorded and, with readback, reflected. */
export class FakeDispenser implements WaterDispenser {
  readonly kind = 'water-dispenser';
  readonly writes: boolean[] = [];
  fail: DeviceError | undefined;
  state: Omit<DispenserReading, 'online'> & { online: boolean };

  constructor(readonly readback = true) {
    this.state = { online: true, leak: false, dispensing: false, sessionVolume: 0, tankLevel: 80, filterDue: false, valveOpen: readback ? false : undefined, hotTemperature: 90 };
  }

  reading(): DispenserReading {
    return { ...this.state };
  }

  setDispensing(on: boolean): Promise<void> {
    this.writes.push(on);
    if (this.fail) return Promise.reject(this.fail);
    if (this.readback) this.state.valveOpen = on;
    return Promise.resolve();
  }
}

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real pino logger writing into memory, so a test can read exactly what was logged. */
export function memoryLogger(): { log: Logger; records(): LogRecord[]; messages(): string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ level: 'debug' }, stream);
  const records = (): LogRecord[] => lines.map((l) => JSON.parse(l) as LogRecord);
  return { log, records, messages: () => records().map((r) => r.msg) };
}
