import type { DeviceKind } from './device-kinds.js';

/*
 * The capability contract of each device kind, as data: the roles the station logic reads and
 * the commands it gives, which a profile must bind and which it may leave out, and what the
 * station does without each optional one. The gateway's own checks (`validate`), the roles
 * reference in docs/device-roles.md and the simulators all read this one table, so a role the
 * logic depends on cannot be missing from any of them.
 */

/** The canonical slot states the station logic knows; a vendor's codes map onto these. */
export const SLOT_STATES = ['empty', 'charging', 'ready', 'fault', 'disabled'] as const;
export type SlotState = (typeof SLOT_STATES)[number];

/** How a role's value reads: a yes/no, a number in the role's unit, a canonical state, an identifier. */
export type RoleValue = 'flag' | 'number' | 'state' | 'id';

/** Parts a vendor's device may lack, declared in the profile's `lacks`. */
export const DEVICE_PARTS = ['doorSensor', 'chargingSwitch', 'valveReadback'] as const;
export type DevicePart = (typeof DEVICE_PARTS)[number];

export interface RoleSpec {
  name: string;
  /** `device`: one value for the device; `slot`: one per instance of the kind's group. */
  scope: 'device' | 'slot';
  value: RoleValue;
  /** The unit station logic works in; a binding converts with its own scale and offset. */
  unit?: string;
  /** Bound by every profile of the kind, unless the profile lacks `unlessLacks`. */
  required: boolean;
  unlessLacks?: DevicePart;
  /** For `state` roles: the canonical values and those the logic cannot work without. */
  states?: readonly string[];
  needStates?: readonly string[];
  /** What the station uses the role for. */
  use: string;
  /** What the station does, or loses, when a profile leaves the role out. */
  without: string;
}

export interface CommandRoleSpec {
  name: string;
  scope: 'device' | 'slot';
  /** What the station logic passes: nothing, or a yes/no (on/off). */
  takes: 'nothing' | 'flag';
  required: boolean;
  unlessLacks?: DevicePart;
  use: string;
  without: string;
}

export interface KindContract {
  kind: DeviceKind;
  /** The profile group that holds the instances of `slot`-scoped roles, when the kind has any. */
  instances?: { role: 'slots'; what: string };
  roles: readonly RoleSpec[];
  commands: readonly CommandRoleSpec[];
  /** Parts a profile of this kind may declare it lacks, with what the station does instead. */
  parts: ReadonlyArray<{ part: DevicePart; meaning: string; instead: string }>;
  /** Whether the kind is served by a Modbus profile (the rest have drivers of their own). */
  profiled: boolean;
}

const cabinet: KindContract = {
  kind: 'battery-cabinet',
  profiled: true,
  instances: { role: 'slots', what: 'the cabinet\'s slots, instance i being door number i + 1' },
  roles: [
    { name: 'smoke', scope: 'device', value: 'flag', required: false, use: 'smoke cuts charging everywhere, releases the doors, closes the station and raises cabinet.smoke (critical)', without: 'the gateway cannot see smoke in this cabinet; give the station a smoke detector device' },
    { name: 'mainsOk', scope: 'device', value: 'flag', required: false, use: 'published with the cabinet; mains lost raises cabinet.mains-lost (major)', without: 'no mains alarm from this cabinet' },
    { name: 'tamper', scope: 'device', value: 'flag', required: false, use: 'an opened cabinet body raises cabinet.tamper (major)', without: 'no tamper alarm from this cabinet' },
    { name: 'fanFault', scope: 'device', value: 'flag', required: false, use: 'raises cabinet.fan-fault (warning)', without: 'no fan alarm from this cabinet' },
    { name: 'cabinetTemperature', scope: 'device', value: 'number', unit: '°C', required: false, use: 'published; shown to operators', without: 'no cabinet temperature shown' },
    { name: 'state', scope: 'slot', value: 'state', states: SLOT_STATES, needStates: ['empty', 'ready'], required: true, use: 'which slots take a returned battery (empty) and which batteries may be offered (ready)', without: 'nothing: a cabinet without slot states cannot swap' },
    { name: 'present', scope: 'slot', value: 'flag', required: false, use: 'a battery is in the slot, where the state alone does not say (a vendor whose fault state covers full and empty slots)', without: 'a slot holds a battery unless its state is empty' },
    { name: 'doorOpen', scope: 'slot', value: 'flag', required: true, unlessLacks: 'doorSensor', use: 'a swap waits for the door to open and shut; a battery behind an open door is never offered', without: 'declared lacking (lacks: [doorSensor]): a swap completes from the battery\'s presence and id alone' },
    { name: 'charge', scope: 'slot', value: 'number', unit: '%', required: false, use: 'the fullest ready battery is offered first; reported in swap events', without: 'ready batteries are offered in slot order; swap events carry no charge' },
    { name: 'batteryTemperature', scope: 'slot', value: 'number', unit: '°C', required: true, use: 'overheat at 60 °C (slot.overheat.N) and a fast rise (slot.temp-rising.N), both critical, cut the slot\'s charging and lock it out; released below 45 °C; where nothing can cut it, slot.charging-not-cut.N (critical) says so', without: 'nothing: overheat protection needs the pack temperature (bind several sensors with points: [...], the hottest counts)' },
    { name: 'overTemperature', scope: 'slot', value: 'flag', required: false, use: 'the pack\'s own over-temperature flag counts as overheating', without: 'only the temperature decides overheating' },
    { name: 'faults', scope: 'slot', value: 'flag', required: false, use: 'a slot with any fault flag set is never offered; the flags are named in events and alarms', without: 'only the fault state keeps a battery from being offered' },
    { name: 'batteryId', scope: 'slot', value: 'id', required: false, use: 'swap events name the returned and the taken battery; a cabinet without door sensors sees a swap end by the id changing', without: 'swap events carry no battery ids' },
    { name: 'packType', scope: 'slot', value: 'id', required: false, use: 'a returned battery is swapped for one of the same pack type; availability counts ready batteries per type', without: 'every battery counts as one pack type ("unknown")' },
    { name: 'stateOfHealth', scope: 'slot', value: 'number', unit: '%', required: false, use: 'GB 43854-2024: reported per slot', without: 'not reported' },
    { name: 'cycleCount', scope: 'slot', value: 'number', required: false, use: 'GB 43854-2024: reported per slot', without: 'not reported' },
    { name: 'cellVoltageSpread', scope: 'slot', value: 'number', unit: 'mV', required: false, use: 'GB 43854-2024: reported per slot', without: 'not reported' },
  ],
  commands: [
    { name: 'openSlotDoor', scope: 'slot', takes: 'nothing', required: true, use: 'a swap opens the empty slot, then the charged one; a rider\'s own battery is handed back with it', without: 'nothing: a cabinet the gateway cannot open cannot swap' },
    { name: 'setCharging', scope: 'slot', takes: 'flag', required: true, unlessLacks: 'chargingSwitch', use: 'an overheating slot\'s charging is cut, and restored once it cooled', without: 'declared lacking (lacks: [chargingSwitch]): an overheating slot is locked out and raises a critical alarm saying charging could not be cut; setCabinetCharging is used where bound' },
    { name: 'setCabinetCharging', scope: 'device', takes: 'flag', required: false, use: 'smoke, and an overheat on a cabinet without per-slot switches, cut the whole cabinet\'s charging', without: 'smoke cuts charging slot by slot (setCharging), or not at all on a cabinet lacking both' },
  ],
  parts: [
    { part: 'doorSensor', meaning: 'the cabinet does not report whether a slot door is open', instead: 'a swap follows the battery: in (present, or a new id) for the return, gone for the take' },
    { part: 'chargingSwitch', meaning: 'charging cannot be switched per slot', instead: 'an overheating slot is locked out and alarmed as not cut; the whole-cabinet cut is used where bound' },
  ],
};

const dispenser: KindContract = {
  kind: 'water-dispenser',
  profiled: true,
  roles: [
    { name: 'leak', scope: 'device', value: 'flag', required: true, use: 'a leak closes the valve, refuses water and raises water.leak (critical)', without: 'nothing: a dispenser must report leaks' },
    { name: 'dispensing', scope: 'device', value: 'flag', required: true, use: 'a draw starts and ends with it (water.dispensed)', without: 'nothing: draws cannot be logged' },
    { name: 'sessionVolume', scope: 'device', value: 'number', unit: 'ml', required: false, use: 'the volume of a draw in water.dispensed', without: 'water.dispensed carries 0 ml' },
    { name: 'tankLevel', scope: 'device', value: 'number', unit: '%', required: false, use: 'an empty tank refuses water; low raises water.tank-low (warning)', without: 'the tank is never known to be empty or low' },
    { name: 'filterDue', scope: 'device', value: 'flag', required: false, use: 'raises water.filter-due (warning)', without: 'no filter alarm' },
    { name: 'valveOpen', scope: 'device', value: 'flag', required: true, unlessLacks: 'valveReadback', use: 'the valve as the dispenser reports it; a difference from what the gateway wants is written again', without: 'declared lacking (lacks: [valveReadback]): the last value written is taken as the valve\'s' },
    { name: 'hotTemperature', scope: 'device', value: 'number', unit: '°C', required: false, use: 'published; shown to operators', without: 'not shown' },
  ],
  commands: [
    { name: 'enableDispensing', scope: 'device', takes: 'flag', required: true, use: 'the valve opens for a granted draw and shuts after it or on a leak', without: 'nothing: water cannot be granted' },
  ],
  parts: [{ part: 'valveReadback', meaning: 'the valve\'s position cannot be read', instead: 'the gateway trusts its last write and writes again after every restart' }],
};

const occupancy: KindContract = {
  kind: 'occupancy',
  profiled: true,
  roles: [
    { name: 'people', scope: 'device', value: 'number', required: false, use: 'people inside: maxPeopleInside, occupancy sessions', without: 'presence counts as one person' },
    { name: 'presence', scope: 'device', value: 'flag', required: false, use: 'someone is inside, when the sensor does not count', without: 'people alone says who is inside (one of people and presence is needed)' },
    { name: 'stillSeconds', scope: 'device', value: 'number', unit: 's', required: false, use: 'at night a person still this long raises person.still (critical)', without: 'nobody who stops moving is noticed: person.still is off' },
    { name: 'sensorFault', scope: 'device', value: 'flag', required: false, use: 'a faulty sensor counts as unknown, never as empty', without: 'every reading is trusted' },
  ],
  commands: [],
  parts: [],
};

const smokeDetector: KindContract = {
  kind: 'smoke-detector',
  profiled: true,
  roles: [
    { name: 'smoke', scope: 'device', value: 'flag', required: true, use: 'smoke cuts charging everywhere, releases the doors, closes the station and raises station.smoke (critical)', without: 'nothing: a smoke detector must report smoke' },
    { name: 'sensorFault', scope: 'device', value: 'flag', required: false, use: 'raises smoke-detector.fault (major)', without: 'a failed detector is seen only when it stops answering' },
  ],
  commands: [],
  parts: [],
};

/** Kinds with drivers of their own (line protocol, GPIO): their contract is the typed interface alone. */
const doorLock: KindContract = {
  kind: 'door-lock',
  profiled: false,
  roles: [
    { name: 'bolt', scope: 'slot', value: 'flag', required: true, use: 'per door: locked or released', without: 'nothing' },
    { name: 'contact', scope: 'slot', value: 'flag', required: false, use: 'per door: open or shut; door.forced and door.held alarms', without: 'no door alarms' },
  ],
  commands: [
    { name: 'unlock', scope: 'slot', takes: 'nothing', required: true, use: 'a granted unlock releases door N for the resource\'s time', without: 'nothing' },
    { name: 'release', scope: 'device', takes: 'flag', required: false, use: 'in a fire every door is released for egress until it clears (GB 55037-2022)', without: 'doors are released by repeated unlocks while the fire lasts' },
  ],
  parts: [],
};

const qrScanner: KindContract = {
  kind: 'qr-scanner',
  profiled: false,
  roles: [{ name: 'scan', scope: 'device', value: 'id', required: true, use: 'a scanned code is an access attempt at this station', without: 'nothing' }],
  commands: [],
  parts: [],
};

export const KIND_CONTRACTS: Readonly<Record<DeviceKind, KindContract>> = {
  'battery-cabinet': cabinet,
  'water-dispenser': dispenser,
  occupancy,
  'smoke-detector': smokeDetector,
  'door-lock': doorLock,
  'qr-scanner': qrScanner,
};

export function contractOf(kind: DeviceKind): KindContract {
  return KIND_CONTRACTS[kind];
}

/** Whether a profile that lacks `lacks` must bind the role or command. */
export function isRequired(spec: { required: boolean; unlessLacks?: DevicePart }, lacks: readonly string[]): boolean {
  return spec.required && !(spec.unlessLacks !== undefined && lacks.includes(spec.unlessLacks));
}
