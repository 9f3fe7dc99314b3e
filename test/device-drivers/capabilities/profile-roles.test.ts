import { describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../../config/profile-schema.js';
import { compileProfileRoles } from '../../../device-drivers/capabilities/profile-roles.js';
import type { Points } from '../../../device-drivers/device-state.js';

/** A profile with the points the bindings below name; only `roles` differs between the cases. */
function profile(roles: Record<string, unknown>, extra: Record<string, unknown> = {}): Profile {
  return profileSchema.parse({
    id: 'roles-test',
    kind: 'battery-cabinet',
    vendor: 'Test',
    model: 'T-1',
    points: {
      status: { address: 0, type: 'bits', bits: { mainsFail: 0, smokeDetected: 3 } },
      mode: { address: 1, type: 'enum', values: { '0': 'idle', '1': 'run', '7': 'alarm' } },
      level: { address: 2, type: 'uint16' },
      tempK: { address: 3, type: 'uint16', scale: 0.1 },
      flag: { table: 'coil', address: 0, type: 'bool', writable: true },
    },
    groups: {
      slots: {
        count: 3,
        base: 100,
        stride: 10,
        points: {
          code: { address: 0, type: 'enum', values: { '10': 'vacant', '20': 'loading', '30': 'full', '90': 'error' } },
          rawCode: { address: 1, type: 'uint16' },
          t1: { address: 2, type: 'int16' },
          t2: { address: 3, type: 'int16' },
          serial: { address: 4, type: 'uint32' },
          pack: { address: 6, type: 'uint16' },
          packName: { address: 7, type: 'enum', values: { '1': 'LFP-48', '2': 'NMC-60' } },
          alarms: { address: 8, type: 'bits', bits: { hot: 0, cellFail: 1, comms: 2 } },
        },
      },
    },
    commands: { open: { table: 'coil', address: 0, group: 'slots', value: true }, cut: { table: 'coil', address: 50 } },
    roles,
    ...extra,
  });
}

const device: Points = { status: { mainsFail: true, smokeDetected: false }, mode: 'run', level: 0, tempK: 300, flag: true };

describe('compileProfileRoles: device-wide flag roles', () => {
  it('reads a bit as point.bit, as {point, bit}, and inverted', () => {
    const d = compileProfileRoles(profile({ smoke: 'status.smokeDetected', mainsOk: { point: 'status', bit: 'mainsFail', invert: true }, fanFault: 'status.mainsFail' })).device;
    expect(d.flag('smoke')!(device)).toBe(false);
    expect(d.flag('mainsOk')!(device)).toBe(false);
    expect(d.flag('fanFault')!(device)).toBe(true);
    expect(d.flag('mainsOk')!({ status: { mainsFail: false, smokeDetected: true } })).toBe(true);
  });

  it('reads when: [...] on an enum by label, by raw number, and by the raw number of an unmapped value', () => {
    const d = compileProfileRoles(profile({ smoke: { point: 'mode', when: ['alarm'] }, tamper: { point: 'mode', when: [1] }, fanFault: { point: 'mode', when: [5] } })).device;
    expect(d.flag('smoke')!({ mode: 'alarm' })).toBe(true);
    expect(d.flag('smoke')!({ mode: 'run' })).toBe(false);
    // 1 is mapped: the decoder yields its label, which the raw number in the profile stands for.
    expect(d.flag('tamper')!({ mode: 'run' })).toBe(true);
    expect(d.flag('tamper')!({ mode: 'idle' })).toBe(false);
    // 5 is not mapped: the decoder yields the number itself.
    expect(d.flag('fanFault')!({ mode: 5 })).toBe(true);
    expect(d.flag('fanFault')!({ mode: 'idle' })).toBe(false);
  });

  it('reads a number point as value != 0, when: on numbers, and a bool point as it is', () => {
    const d = compileProfileRoles(profile({ smoke: 'level', tamper: { point: 'level', when: [2, 3] }, fanFault: 'flag', mainsOk: { point: 'flag', invert: true } })).device;
    expect(d.flag('smoke')!({ level: 0 })).toBe(false);
    expect(d.flag('smoke')!({ level: 7 })).toBe(true);
    expect(d.flag('tamper')!({ level: 3 })).toBe(true);
    expect(d.flag('tamper')!({ level: 7 })).toBe(false);
    expect(d.flag('fanFault')!({ flag: true })).toBe(true);
    expect(d.flag('mainsOk')!({ flag: true })).toBe(false);
  });

  it('reads a missing point as undefined, also inverted, and an unbound role has no reader', () => {
    const d = compileProfileRoles(profile({ mainsOk: { point: 'status', bit: 'mainsFail', invert: true }, smoke: 'level' })).device;
    expect(d.flag('mainsOk')!({})).toBeUndefined();
    expect(d.flag('mainsOk')!({ status: null })).toBeUndefined();
    expect(d.flag('smoke')!({ level: null })).toBeUndefined();
    expect(d.flag('tamper')).toBeUndefined();
    expect(d.bound('tamper')).toBe(false);
    expect(d.bound('smoke')).toBe(true);
  });
});

describe('compileProfileRoles: number roles', () => {
  it('applies scale and offset after the point decoded, and reads missing as undefined (not 0)', () => {
    const d = compileProfileRoles(profile({ cabinetTemperature: { point: 'tempK', offset: -273.15 }, tankLevel: { point: 'level', scale: 0.5, offset: 1 }, x: 'level' })).device;
    expect(d.number('cabinetTemperature')!(device)).toBeCloseTo(26.85, 6);
    expect(d.number('tankLevel')!({ level: 10 })).toBe(6);
    expect(d.number('x')!({ level: 42 })).toBe(42);
    expect(d.number('x')!({})).toBeUndefined();
    expect(d.number('x')!({ level: 'n/a' })).toBeUndefined();
  });

  it('with points: [...] the highest value read counts, the missing ones ignored', () => {
    const s = compileProfileRoles(profile({ slots: { group: 'slots', batteryTemperature: { points: ['t1', 't2'], scale: 0.1 } } })).slots!;
    expect(s.group).toBe('slots');
    const read = s.readers.number('batteryTemperature')!;
    expect(read({ t1: 312, t2: 655 })).toBeCloseTo(65.5, 6);
    expect(read({ t1: -50, t2: -120 })).toBeCloseTo(-5, 6);
    expect(read({ t2: 400 })).toBeCloseTo(40, 6);
    expect(read({})).toBeUndefined();
  });
});

describe('compileProfileRoles: state roles', () => {
  const slots = compileProfileRoles(
    profile({
      slots: {
        group: 'slots',
        state: { point: 'code', map: { empty: ['vacant'], charging: [20], ready: ['full'], fault: ['error', 99] } },
        present: { point: 'rawCode', when: [20, 30, 90] },
      },
    }),
  ).slots!.readers;
  const state = slots.state('state')!;

  it('maps labels and raw numbers onto canonical states', () => {
    expect(state({ code: 'vacant' })).toBe('empty');
    expect(state({ code: 'loading' })).toBe('charging');
    expect(state({ code: 'full' })).toBe('ready');
    expect(state({ code: 'error' })).toBe('fault');
    expect(state({ code: 99 })).toBe('fault');
  });

  it('reads a value mapped to nothing, or a missing one, as unknown', () => {
    expect(state({ code: 55 })).toBe('unknown');
    expect(state({})).toBe('unknown');
    expect(slots.flag('present')!({ rawCode: 90 })).toBe(true);
  });

  it('without a map takes the labels as the canonical names', () => {
    const plain = compileProfileRoles(profile({ slots: { group: 'slots', state: 'code' } })).slots!.readers.state('state')!;
    expect(plain({ code: 'vacant' })).toBe('vacant');
    expect(plain({ code: 20 })).toBe('unknown');
  });
});

describe('compileProfileRoles: id, packType and flag-list roles', () => {
  const s = compileProfileRoles(
    profile({ slots: { group: 'slots', batteryId: 'serial', packType: 'pack', faults: 'alarms', overTemperature: 'alarms.hot' } }),
  ).slots!.readers;

  it('reads an id number as a string, 0 as no id; a string id as is, "" as none', () => {
    const id = s.id('batteryId')!;
    expect(id({ serial: 305419896 })).toBe('305419896');
    expect(id({ serial: 0 })).toBeUndefined();
    expect(id({ serial: 'BAT-0042' })).toBe('BAT-0042');
    expect(id({ serial: '' })).toBeUndefined();
    expect(id({})).toBeUndefined();
  });

  it('reads a pack type number n as nV, a label as is, 0 as none', () => {
    const pack = s.packType('packType')!;
    expect(pack({ pack: 48 })).toBe('48V');
    expect(pack({ pack: 0 })).toBeUndefined();
    const named = compileProfileRoles(profile({ slots: { group: 'slots', packType: 'packName' } })).slots!.readers.packType('packType')!;
    expect(named({ packName: 'NMC-60' })).toBe('NMC-60');
  });

  it('names the set flags of a bits point, and reads one of them as a flag', () => {
    expect(s.flags('faults')!({ alarms: { hot: true, cellFail: false, comms: true } })).toEqual(['hot', 'comms']);
    expect(s.flags('faults')!({ alarms: { hot: false, cellFail: false, comms: false } })).toEqual([]);
    expect(s.flags('faults')!({})).toEqual([]);
    expect(s.flag('overTemperature')!({ alarms: { hot: true } })).toBe(true);
  });
});

describe('compileProfileRoles: command roles', () => {
  it('names the bound profile command, by name or by {command}; unbound or unknown commands are undefined', () => {
    const roles = compileProfileRoles(profile({ openSlotDoor: 'open', setCabinetCharging: { command: 'cut' }, setCharging: 'nosuch' }));
    expect(roles.command('openSlotDoor')).toBe('open');
    expect(roles.command('setCabinetCharging')).toBe('cut');
    expect(roles.command('setCharging')).toBeUndefined();
    expect(roles.command('enableDispensing')).toBeUndefined();
  });
});
