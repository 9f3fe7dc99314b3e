import { describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../../config/profile-schema.js';
import { compileProfileRoles, type PointRecord } from '../../../device-drivers/capabilities/profile-roles.js';
import { ProfileView } from '../../../simulators/modbus/profile-view.js';
import { RegisterBank } from '../../../simulators/modbus/register-bank.js';
import { RoleView, SimProfileError } from '../../../simulators/modbus/role-view.js';

/*
 * The role bindings run backwards, checked against the gateway's own reader of the same bindings
 * (profile-roles.ts): whatever the model says in canonical terms must read back as that.
 */

function setup(profile: Profile): { bank: RegisterBank; view: ProfileView; roles: RoleView; device: () => PointRecord } {
  const bank = new RegisterBank();
  const view = new ProfileView(bank, profile);
  view.mapAddresses({ slots: 4 });
  const roles = new RoleView(view);
  const device = (): PointRecord => Object.fromEntries(Object.keys(profile.points).map((n) => [n, view.get(n)]));
  return { bank, view, roles, device };
}

const dispenser = profileSchema.parse({
  id: 'odd-dispenser',
  kind: 'water-dispenser',
  vendor: 'T',
  model: 'T-1',
  points: {
    leakIn: { table: 'discrete', address: 0, type: 'bool' },
    outlet: { table: 'input', address: 0, type: 'enum', values: { '0': 'off', '1': 'priming', '2': 'pouring' } },
    filterDays: { table: 'input', address: 1, type: 'uint16' },
    level: { table: 'input', address: 2, type: 'uint16' },
    boilerK: { table: 'input', address: 3, type: 'float32' },
    flags: { table: 'input', address: 5, type: 'bits', bits: { valveClosed: 3, other: 4 } },
    volumeDl: { table: 'input', address: 6, type: 'uint16' },
  },
  commands: { enable: { table: 'holding', address: 40, value: 'value * 21930' } },
  roles: {
    leak: 'leakIn',
    dispensing: { point: 'outlet', when: ['pouring', 'priming'] },
    filterDue: { point: 'filterDays', when: [0] },
    tankLevel: { point: 'level', scale: 0.2 },
    hotTemperature: { point: 'boilerK', offset: -273.15 },
    valveOpen: { point: 'flags.valveClosed', invert: true },
    sessionVolume: { point: 'volumeDl', scale: 100 },
    enableDispensing: 'enable',
  },
});

describe('RoleView writes device roles as the gateway reads them', () => {
  const read = compileProfileRoles(dispenser).device;

  it('flags: a bool, the first `when` value for yes and the first unlisted value for no, an inverted bit', () => {
    const { roles, device, view } = setup(dispenser);
    for (const on of [true, false, true]) {
      roles.setFlag('leak', on);
      roles.setFlag('dispensing', on);
      roles.setFlag('filterDue', on);
      roles.setFlag('valveOpen', on);
      const points = device();
      for (const role of ['leak', 'dispensing', 'filterDue', 'valveOpen']) expect(read.flag(role)?.(points), `${role} ${String(on)}`).toBe(on);
    }
    roles.setFlag('dispensing', true);
    expect(view.get('outlet')).toBe('pouring');
    roles.setFlag('dispensing', false);
    expect(view.get('outlet')).toBe('off');
    roles.setFlag('filterDue', false);
    expect(view.get('filterDays')).toBe(1);
    // The bit of a shared word is set alone: the vendor's other bits stay as they were.
    view.set('flags', { valveClosed: false, other: true });
    roles.setFlag('valveOpen', false);
    expect(view.get('flags')).toEqual({ valveClosed: true, other: true });
  });

  it('numbers: the binding\'s scale and offset inverted, and a value past the register saturates', () => {
    const { roles, device, view } = setup(dispenser);
    roles.setNumber('tankLevel', 60);
    roles.setNumber('hotTemperature', 91.5);
    roles.setNumber('sessionVolume', 400);
    expect(view.get('level')).toBe(300);
    expect(view.get('volumeDl')).toBe(4);
    const points = device();
    expect(read.number('sessionVolume')?.(points)).toBe(400);
    expect(read.number('tankLevel')?.(points)).toBe(60);
    expect(read.number('hotTemperature')?.(points)).toBeCloseTo(91.5, 3);
    roles.setNumber('tankLevel', 100_000);
    expect(view.get('level')).toBe(65535);
  });

  it('a command role with an expression of value: 0x55AA is on, 0 is off, anything else is nothing', () => {
    const { roles } = setup(dispenser);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 40, values: [0x55aa] }, 1)).toEqual([{ role: 'enableDispensing', index: 0, on: true }]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 40, values: [0] }, 1)).toEqual([{ role: 'enableDispensing', index: 0, on: false }]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 40, values: [1] }, 1)).toEqual([]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 41, values: [0x55aa] }, 1)).toEqual([]);
  });
});

const cabinet = (extra: Record<string, unknown> = {}, map?: Record<string, unknown>): Profile =>
  profileSchema.parse({
    id: 'odd-cabinet',
    kind: 'battery-cabinet',
    vendor: 'T',
    model: 'T-4',
    points: {},
    groups: {
      slots: {
        count: 4,
        base: 100,
        stride: 10,
        points: {
          code: { address: 0, type: 'uint16' },
          door: { table: 'discrete', address: 0, type: 'bool' },
          temps: { address: 1, type: 'int16', scale: 0.1 },
          temps2: { address: 2, type: 'int16', scale: 0.1 },
          alarm: { address: 3, type: 'bits', bits: { hot: 0, cell: 1 } },
        },
      },
    },
    commands: {
      open: { table: 'holding', address: 10, value: 'index + 0x100' },
      charge: { table: 'holding', address: 11, value: 'slot * 2 + value' },
      mainCharger: { table: 'coil', address: 5 },
      unlatch: { table: 'coil', address: 20, group: 'slots', value: true, pulseMs: 100 },
    },
    roles: {
      slots: {
        group: 'slots',
        state: { point: 'code', map: map ?? { empty: [10], charging: [11], ready: [12], fault: [90, 91] } },
        doorOpen: 'door',
        batteryTemperature: { points: ['temps', 'temps2'] },
        overTemperature: 'alarm.hot',
        faults: 'alarm',
      },
      openSlotDoor: 'open',
      setCharging: 'charge',
      setCabinetCharging: 'mainCharger',
    },
    ...extra,
  });

describe('RoleView on a cabinet', () => {
  it('states: the first code listed; a state the vendor has no code for takes the nearest it has', () => {
    const { roles, view } = setup(cabinet());
    roles.prepareStates();
    const code = (): unknown => view.getIn('slots', 1, 'code');
    roles.setState('state', 'fault', 1);
    expect(code()).toBe(90);
    // No disabled code: a slot whose charging is cut shows the vendor's fault code.
    roles.setState('state', 'disabled', 1);
    expect(code()).toBe(90);
    roles.setState('state', 'ready', 1);
    expect(code()).toBe(12);
    const { roles: noReady } = setup(cabinet({}, { empty: [10], charging: [11] }));
    expect(() => noReady.prepareStates()).toThrow(SimProfileError);
  });

  it('several temperature sensors: each written, a little apart, the hottest the pack\'s', () => {
    const { roles, view } = setup(cabinet());
    roles.setNumber('batteryTemperature', 41.2, 2);
    expect(view.getIn('slots', 2, 'temps')).toBe(41.2);
    expect(view.getIn('slots', 2, 'temps2')).toBeCloseTo(40.9, 5);
    const read = compileProfileRoles(cabinet()).slots!.readers;
    expect(read.number('batteryTemperature')?.({ temps: 41.2, temps2: 40.9 })).toBe(41.2);
  });

  it('a fault the vendor has no bit for takes a free bit, never the over-temperature one', () => {
    const { roles, view } = setup(cabinet());
    roles.setFaults('faults', ['overVoltage'], 0);
    expect(view.getIn('slots', 0, 'alarm')).toEqual({ hot: false, cell: true });
    roles.setFaults('faults', [], 0);
    roles.setFlag('overTemperature', true, 0);
    expect(view.getIn('slots', 0, 'alarm')).toEqual({ hot: true, cell: false });
  });

  it('one register for every slot: the value written says which slot, and on or off', () => {
    const { roles } = setup(cabinet());
    expect(roles.decodeCommandWrite({ table: 'holding', address: 10, values: [0x102] }, 4)).toEqual([{ role: 'openSlotDoor', index: 2, on: true }]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 10, values: [0x104] }, 4)).toEqual([]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 11, values: [7] }, 4)).toEqual([{ role: 'setCharging', index: 2, on: true }]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 11, values: [6] }, 4)).toEqual([{ role: 'setCharging', index: 2, on: false }]);
    expect(roles.decodeCommandWrite({ table: 'coil', address: 5, values: [0] }, 4)).toEqual([{ role: 'setCabinetCharging', index: 0, on: false }]);
  });

  it('a pulse on per-slot coils: the value opens its slot, the release is no command; one write over several coils is one hit each', () => {
    const profile = cabinet({ commands: { unlatch: { table: 'coil', address: 20, group: 'slots', value: true, pulseMs: 100 } }, roles: { slots: { group: 'slots', state: { point: 'code', map: { empty: [10], ready: [12] } } }, openSlotDoor: 'unlatch' } });
    const { roles } = setup(profile);
    expect(roles.decodeCommandWrite({ table: 'coil', address: 21, values: [1] }, 4)).toEqual([{ role: 'openSlotDoor', index: 1, on: true }]);
    expect(roles.decodeCommandWrite({ table: 'coil', address: 21, values: [0] }, 4)).toEqual([]);
    expect(roles.decodeCommandWrite({ table: 'coil', address: 20, values: [1, 0, 1, 1] }, 4).map((h) => h.index)).toEqual([0, 2, 3]);
  });

  it('a part the profile lacks is not written even where a binding names it', () => {
    const { roles, bank } = setup(cabinet({ lacks: ['doorSensor', 'chargingSwitch'] }));
    roles.setFlag('doorOpen', true, 0);
    expect(bank.getBits('discrete', 100)).toEqual([0]);
    expect(roles.decodeCommandWrite({ table: 'holding', address: 11, values: [7] }, 4)).toEqual([]);
  });
});
