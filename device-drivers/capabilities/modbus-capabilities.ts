import type { Profile } from '../../config/profile-schema.js';
import type { DeviceState, PointValue } from '../device-state.js';
import { DeviceError } from '../device-error.js';
import type {
  BatteryCabinet,
  CabinetParts,
  CabinetReading,
  Capability,
  DispenserReading,
  OccupancyReading,
  OccupancySensor,
  SlotReading,
  SlotStateReading,
  SmokeDetector,
  SmokeReading,
  WaterDispenser,
} from './capabilities.js';
import { compileProfileRoles, type CompiledRoles, type FlagReader, type PointRecord, type RoleReaders } from './profile-roles.js';
import { SLOT_STATES } from '../../config/role-catalogue.js';

/*
 * The typed capabilities of a profiled Modbus device: readings through the profile's role
 * bindings, commands through the profile command each command role names. Nothing here knows a
 * vendor: a new cabinet is a profile, and these classes read it as they read the reference one.
 */

/** What carries out a profile command: ModbusProfileDriver, or anything that writes the same way. */
export interface ProfileCommander {
  command(name: string, value?: boolean | number, index?: number): Promise<void>;
}

const EMPTY: PointRecord = {};
const never: FlagReader = () => undefined;
const CANONICAL = new Set<string>(SLOT_STATES);

function unsupported(profile: Profile, role: string, why: string): DeviceError {
  return new DeviceError('UNSUPPORTED', `${profile.model} (profile ${profile.id}) ${why}`, { profile: profile.id, role });
}

/** Runs the profile command bound to `role`, or rejects UNSUPPORTED without writing anything. */
function runBound(profile: Profile, commander: ProfileCommander, command: string | undefined, role: string, value: boolean, index?: number): Promise<void> {
  if (command === undefined) return Promise.reject(unsupported(profile, role, `has no ${role} (its profile binds no command to the role)`));
  return commander.command(command, value, index);
}

function slotRecords(points: Readonly<Record<string, PointValue>>, group: string): PointRecord[] {
  const v = points[group];
  return Array.isArray(v) ? v.map((s) => (s !== null && typeof s === 'object' && !Array.isArray(s) ? s : EMPTY)) : [];
}

export class ModbusBatteryCabinet implements BatteryCabinet {
  readonly kind = 'battery-cabinet';
  readonly parts: CabinetParts;
  private readonly commands: { openSlotDoor?: string; setCharging?: string; setCabinetCharging?: string };
  private readonly readCabinet: (points: PointRecord) => Omit<CabinetReading, 'online' | 'slots'>;
  private readonly readSlot: ((points: PointRecord, index: number) => SlotReading) | undefined;
  private readonly group: string | undefined;
  /** Instances the slot group can have: an index past it is no door of this cabinet. */
  private readonly maxSlots: number;

  constructor(
    private readonly profile: Profile,
    private readonly commander: ProfileCommander,
    roles: CompiledRoles = compileProfileRoles(profile),
  ) {
    const lacks = new Set<string>(profile.lacks);
    const d = roles.device;
    const s = roles.slots?.readers;
    const cmd = (role: string): string | undefined => roles.command(role);
    const setCharging = lacks.has('chargingSwitch') ? undefined : cmd('setCharging');
    const doorSensor = !lacks.has('doorSensor') && s?.bound('doorOpen') === true;
    this.commands = dropUndefined({ openSlotDoor: cmd('openSlotDoor'), setCharging, setCabinetCharging: cmd('setCabinetCharging') });
    this.parts = {
      doorSensor,
      chargingSwitch: setCharging !== undefined,
      cabinetChargingCut: this.commands.setCabinetCharging !== undefined,
      smokeSensor: d.bound('smoke'),
      batteryIds: s?.bound('batteryId') === true,
    };
    this.readCabinet = cabinetReader(d);
    this.group = roles.slots?.group;
    const group = this.group !== undefined ? profile.groups[this.group] : undefined;
    this.maxSlots = group ? (typeof group.count === 'number' ? Math.min(group.count, group.maxCount) : group.maxCount) : 0;
    this.readSlot = s ? slotReader(s, doorSensor) : undefined;
  }

  reading(state: DeviceState): CabinetReading {
    const points = state.points;
    const slots: SlotReading[] = [];
    if (this.readSlot && this.group !== undefined) {
      const records = slotRecords(points, this.group);
      for (let i = 0; i < records.length; i++) slots.push(this.readSlot(records[i]!, i));
    }
    return { online: state.online, ...this.readCabinet(points), slots };
  }

  openSlotDoor(index: number): Promise<void> {
    return this.slotCommand(this.commands.openSlotDoor, 'openSlotDoor', index, true);
  }

  setCharging(index: number, on: boolean): Promise<void> {
    return this.slotCommand(this.commands.setCharging, 'setCharging', index, on);
  }

  setCabinetCharging(on: boolean): Promise<void> {
    return runBound(this.profile, this.commander, this.commands.setCabinetCharging, 'setCabinetCharging', on);
  }

  private slotCommand(command: string | undefined, role: string, index: number, value: boolean): Promise<void> {
    // A wrong index is a wrong door: refused before anything is written.
    if (command !== undefined && !(Number.isInteger(index) && index >= 0 && index < this.maxSlots)) {
      return Promise.reject(new DeviceError('UNSUPPORTED', `${this.profile.model} has no slot ${index + 1} (1..${this.maxSlots})`, { profile: this.profile.id, role, index }));
    }
    return runBound(this.profile, this.commander, command, role, value, index);
  }
}

function cabinetReader(d: RoleReaders): (points: PointRecord) => Omit<CabinetReading, 'online' | 'slots'> {
  const smoke = d.flag('smoke') ?? never;
  const mainsOk = d.flag('mainsOk') ?? never;
  const tamper = d.flag('tamper') ?? never;
  const fanFault = d.flag('fanFault') ?? never;
  const temp = d.number('cabinetTemperature') ?? (() => undefined);
  return (points) => ({ smoke: smoke(points), mainsOk: mainsOk(points), tamper: tamper(points), fanFault: fanFault(points), cabinetTemperature: temp(points) });
}

function slotReader(s: RoleReaders, doorSensor: boolean): (points: PointRecord, index: number) => SlotReading {
  const none = (): undefined => undefined;
  const rawState = s.state('state') ?? (() => 'unknown');
  const state = (points: PointRecord): SlotStateReading => {
    const v = rawState(points);
    return CANONICAL.has(v) ? (v as SlotStateReading) : 'unknown';
  };
  const present = s.flag('present');
  const doorOpen = doorSensor ? (s.flag('doorOpen') ?? none) : none;
  const charge = s.number('charge') ?? none;
  const batteryTemperature = s.number('batteryTemperature') ?? none;
  const overTemperature = s.flag('overTemperature') ?? never;
  const faults = s.flags('faults') ?? ((): string[] => []);
  const batteryId = s.id('batteryId') ?? none;
  const packType = s.packType('packType') ?? none;
  const stateOfHealth = s.number('stateOfHealth') ?? none;
  const cycleCount = s.number('cycleCount') ?? none;
  const cellVoltageSpread = s.number('cellVoltageSpread') ?? none;
  return (points, index) => {
    const st = state(points);
    // Unknown counts as occupied: a battery the gateway cannot see is never assumed gone.
    const hasBattery = (present ? present(points) : undefined) ?? st !== 'empty';
    return {
      index,
      slot: index + 1,
      state: st,
      hasBattery,
      doorOpen: doorOpen(points),
      charge: charge(points),
      batteryTemperature: batteryTemperature(points),
      overTemperature: overTemperature(points) === true,
      faults: faults(points),
      batteryId: batteryId(points),
      packType: packType(points),
      stateOfHealth: stateOfHealth(points),
      cycleCount: cycleCount(points),
      cellVoltageSpread: cellVoltageSpread(points),
    };
  };
}

export class ModbusWaterDispenser implements WaterDispenser {
  readonly kind = 'water-dispenser';
  private readonly read: (points: PointRecord) => Omit<DispenserReading, 'online'>;
  private readonly enable: string | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly commander: ProfileCommander,
    roles: CompiledRoles = compileProfileRoles(profile),
  ) {
    const d = roles.device;
    const none = (): undefined => undefined;
    const leak = d.flag('leak') ?? never;
    const dispensing = d.flag('dispensing') ?? never;
    const sessionVolume = d.number('sessionVolume') ?? none;
    const tankLevel = d.number('tankLevel') ?? none;
    const filterDue = d.flag('filterDue') ?? never;
    const valveOpen = profile.lacks.includes('valveReadback') ? none : (d.flag('valveOpen') ?? none);
    const hotTemperature = d.number('hotTemperature') ?? none;
    this.enable = roles.command('enableDispensing');
    this.read = (p) => ({
      leak: leak(p) === true,
      dispensing: dispensing(p) === true,
      sessionVolume: sessionVolume(p),
      tankLevel: tankLevel(p),
      filterDue: filterDue(p) === true,
      valveOpen: valveOpen(p),
      hotTemperature: hotTemperature(p),
    });
  }

  reading(state: DeviceState): DispenserReading {
    return { online: state.online, ...this.read(state.points) };
  }

  setDispensing(on: boolean): Promise<void> {
    return runBound(this.profile, this.commander, this.enable, 'enableDispensing', on);
  }
}

export class ModbusOccupancySensor implements OccupancySensor {
  readonly kind = 'occupancy';
  private readonly read: (points: PointRecord) => Omit<OccupancyReading, 'online'>;

  constructor(profile: Profile, roles: CompiledRoles = compileProfileRoles(profile)) {
    const d = roles.device;
    const none = (): undefined => undefined;
    const people = d.number('people');
    const presence = d.flag('presence');
    const stillSeconds = d.number('stillSeconds') ?? none;
    const fault = d.flag('sensorFault') ?? never;
    const count = (p: PointRecord): number | undefined => {
      const n = people?.(p);
      if (n !== undefined) return n;
      const seen = presence?.(p);
      return seen === undefined ? undefined : seen ? 1 : 0;
    };
    this.read = (p) => ({ usable: fault(p) !== true, people: count(p), stillSeconds: stillSeconds(p) });
  }

  reading(state: DeviceState): OccupancyReading {
    const r = this.read(state.points);
    // An offline sensor's last numbers are history, not who is inside now.
    return { online: state.online, ...r, usable: state.online && r.usable };
  }
}

export class ModbusSmokeDetector implements SmokeDetector {
  readonly kind = 'smoke-detector';
  private readonly smoke: FlagReader;
  private readonly fault: FlagReader;

  constructor(profile: Profile, roles: CompiledRoles = compileProfileRoles(profile)) {
    this.smoke = roles.device.flag('smoke') ?? never;
    this.fault = roles.device.flag('sensorFault') ?? never;
  }

  reading(state: DeviceState): SmokeReading {
    return { online: state.online, smoke: this.smoke(state.points) === true, fault: this.fault(state.points) === true };
  }
}

/** The capability of a profiled device, by the profile's kind; undefined for kinds no profile serves. */
export function profileCapability(profile: Profile, commander: ProfileCommander): Capability | undefined {
  const roles = compileProfileRoles(profile);
  switch (profile.kind) {
    case 'battery-cabinet':
      return new ModbusBatteryCabinet(profile, commander, roles);
    case 'water-dispenser':
      return new ModbusWaterDispenser(profile, commander, roles);
    case 'occupancy':
      return new ModbusOccupancySensor(profile, roles);
    case 'smoke-detector':
      return new ModbusSmokeDetector(profile, roles);
    default:
      return undefined;
  }
}

function dropUndefined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  const out: { [K in keyof T]?: string } = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k as keyof T] = v;
  return out;
}
