import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStation } from '../../config/load-station-config.js';
import { builtinProfilesDir, packageRoot } from '../../config/package-root.js';
import { loadCheckedProfile } from '../../config/profile-fit.js';
import { PROPERTY_TIMEOUT_MS, settings } from '../fuzz/fuzz-settings.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * `validate` refuses a profile that would silently switch behaviour off (issue 16): each problem
 * names the profile file, the line of the binding (or of roles:/kind: for a role not bound), the
 * role and what the station would lose. Optional roles not bound are notices, and never fail.
 * The profiles are a vendor the reference never saw: its own state codes and labels, a door
 * register that takes the slot number, a float cabinet temperature, an inverted mains bit.
 */

const CABINET = `id: cabinet-b
kind: battery-cabinet
vendor: B Power
model: B-8
points:
  status:
    address: 10
    type: bits
    bits: { smoke: 0, mainsFail: 1 }
  cabinetTemp: { address: 11, type: float32 }
  slotCount: { address: 13 }
  doorCmd: { address: 14, writable: false }
groups:
  slots:
    count: slotCount
    maxCount: 8
    base: 100
    stride: 20
    points:
      code:
        address: 0
        type: enum
        values: { "10": empty, "20": charging, "30": full, "90": error }
      doorState: { address: 1, type: enum, values: { "0": shut, "1": open } }
      soc: { address: 2 }
      temperature: { address: 3, type: int16, scale: 0.1 }
      alarms: { address: 4, type: bits, bits: { overTemp: 0, cellFault: 1 } }
      serial: { address: 5, type: uint32 }
commands:
  openDoor: { table: holding, address: 50, type: uint16, value: slot }
  charge: { table: coil, address: 200, group: slots }
roles:
  smoke: status.smoke
  mainsOk: { point: status, bit: mainsFail, invert: true }
  cabinetTemperature: cabinetTemp
  slots:
    group: slots
    state: { point: code, map: { empty: [empty], charging: [charging], ready: [full], fault: [error] } }
    doorOpen: { point: doorState, when: [open] }
    charge: soc
    batteryTemperature: temperature
    overTemperature: alarms.overTemp
    faults: alarms
    batteryId: serial
  openSlotDoor: openDoor
  setCharging: charge
`;

const STATION = `station:
  id: st-0001
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: data/gateway.db
devices:
  - id: cabinet-1
    kind: battery-cabinet
    profile: cabinet-b
    transport: { type: modbus-tcp, host: 127.0.0.1, port: 5020, unitId: 1 }
`;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'profiles'));
});
afterEach(() => dir.remove());

const PROFILE = 'profiles/cabinet-b.yaml';

/** The 1-based line of the first line of `text` that contains `needle`. */
function line(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" is not in the profile`);
  return i + 1;
}

/** The line of `roles.slots:` (the groups block has a `slots:` of its own above it). */
function rolesSlotsLine(text: string): number {
  const lines = text.split('\n');
  const roles = lines.indexOf('roles:');
  return lines.findIndex((l, i) => i > roles && l === '  slots:') + 1;
}

function replaced(from: string, to: string, text = CABINET): string {
  if (!text.includes(from)) throw new Error(`"${from}" is not in the profile`);
  return text.replace(from, to);
}

/** The problems validate prints for the station with `profile` as cabinet-b, paths relative. */
async function problems(profile: string, station = STATION): Promise<string[]> {
  writeFileSync(join(dir.path, PROFILE), profile);
  writeFileSync(join(dir.path, 'station.yaml'), station);
  try {
    await loadStation(join(dir.path, 'station.yaml'));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => formatProblem(p).replaceAll(`${dir.path}/`, ''));
  }
  return [];
}

const SMOKE_USE = 'smoke cuts charging everywhere, releases the doors, closes the station and raises cabinet.smoke (critical)';

describe('a vendor profile whose roles are all bound', () => {
  it('passes, and lists what is off as notices', async () => {
    writeFileSync(join(dir.path, PROFILE), CABINET);
    writeFileSync(join(dir.path, 'station.yaml'), STATION);
    const station = await loadStation(join(dir.path, 'station.yaml'));
    expect(station.profiles.get('cabinet-1')?.id).toBe('cabinet-b');
    expect((station.notices ?? []).map((n) => formatProblem(n).replaceAll(`${dir.path}/`, ''))).toEqual([
      `${PROFILE}: tamper not bound: no tamper alarm from this cabinet`,
      `${PROFILE}: fanFault not bound: no fan alarm from this cabinet`,
      `${PROFILE}: slots.present not bound: a slot holds a battery unless its state is empty`,
      `${PROFILE}: slots.packType not bound: every battery counts as one pack type ("unknown")`,
      `${PROFILE}: slots.stateOfHealth not bound: not reported`,
      `${PROFILE}: slots.cycleCount not bound: not reported`,
      `${PROFILE}: slots.cellVoltageSpread not bound: not reported`,
      `${PROFILE}: setCabinetCharging not bound: smoke cuts charging slot by slot (setCharging), or not at all on a cabinet lacking both`,
    ]);
  });

  it('every profile shipped in config/profiles passes', () => {
    const files = readdirSync(builtinProfilesDir()).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(loadCheckedProfile(join(builtinProfilesDir(), f)).problems.map(formatProblem), f).toEqual([]);
  });
});

describe('names that do not exist', () => {
  it('a bit named as the vendor calls it: smoke bound to status.smokeDetected', async () => {
    const p = replaced('smoke: status.smoke', 'smoke: status.smokeDetected');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'smoke: status.smokeDetected')}: roles.smoke: status has no bit "smokeDetected" (did you mean smoke?) (its bits: smoke, mainsFail); the station would lose smoke: ${SMOKE_USE}`,
    ]);
  });

  it('a role name the kind does not have, with the role it was meant to be', async () => {
    const p = replaced('smoke: status.smoke', 'smokeDetected: status.smoke');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'smokeDetected:')}: roles.smokeDetected: a battery-cabinet has no role "smokeDetected" (did you mean smoke?): it is not bound to anything (docs/device-roles.md lists the roles)`,
    ]);
    const q = replaced('    batteryTemperature: temperature', '    batteryTemprature: temperature');
    expect(await problems(q)).toEqual([
      expect.stringMatching(new RegExp(`^profiles/cabinet-b\\.yaml:${rolesSlotsLine(q)}: roles\\.slots: slots\\.batteryTemperature is not bound, and a battery-cabinet needs it: the station would lose: overheat at 60 °C`)),
      `${PROFILE}:${line(q, 'batteryTemprature')}: roles.slots.batteryTemprature: a slot has no role "batteryTemprature" (did you mean batteryTemperature?): it is not bound to anything`,
    ]);
  });

  it('a role in the wrong block: a slot role beside the cabinet roles, a cabinet role among the slots', async () => {
    const p = replaced('  cabinetTemperature: cabinetTemp\n', '  cabinetTemperature: cabinetTemp\n  packType: serial\n');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'packType: serial')}: roles.packType: packType is a per-slot role of a battery-cabinet: bind it under roles.slots, to a point of the slots group`,
    ]);
    const q = replaced('    faults: alarms\n', '    faults: alarms\n    tamper: alarms.cellFault\n');
    expect(await problems(q)).toEqual([
      `${PROFILE}:${line(q, 'tamper: alarms')}: roles.slots.tamper: tamper is a role of the whole battery-cabinet, not of a slot: bind it directly under roles`,
    ]);
  });

  it('a device role written with group:, which only roles.slots takes', async () => {
    const p = replaced('  cabinetTemperature: cabinetTemp\n', '  cabinetTemperature: { group: slots, point: cabinetTemp }\n');
    expect(await problems(p)).toEqual([`${PROFILE}:${line(p, 'cabinetTemperature:')}: roles.cabinetTemperature.group: group: belongs to roles.slots only: cabinetTemperature bound with it is not read`]);
  });

  it('a point, a group or a command that does not exist', async () => {
    const p = replaced('batteryTemperature: temperature', 'batteryTemperature: temprature');
    expect(await problems(p)).toEqual([
      expect.stringMatching(new RegExp(`^profiles/cabinet-b\\.yaml:${line(p, 'temprature')}: roles\\.slots\\.batteryTemperature: group slots has no point "temprature" \\(did you mean temperature\\?\\); the station would lose slots\\.batteryTemperature: overheat`)),
    ]);
    const q = replaced('    group: slots\n    state', '    group: slot\n    state');
    expect(await problems(q)).toEqual([`${PROFILE}:${line(q, '    group: slot')}: roles.slots.group: no group named "slot" (did you mean slots?): the slot roles are bound to the points of a profile group`]);
    const r = replaced('openSlotDoor: openDoor', 'openSlotDoor: openDor');
    expect(await problems(r)).toEqual([
      `${PROFILE}:${line(r, 'openSlotDoor:')}: roles.openSlotDoor: no command named "openDor" (did you mean openDoor?); the station would lose openSlotDoor: a swap opens the empty slot, then the charged one; a rider's own battery is handed back with it`,
    ]);
  });
});

describe('roles not bound', () => {
  it('a required command role: refused with what the station loses and the part it may declare lacking', async () => {
    const p = replaced('  setCharging: charge\n', '');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'roles:')}: roles: setCharging is not bound, and a battery-cabinet needs it: the station would lose: an overheating slot's charging is cut, and restored once it cooled; if charging cannot be switched per slot, say so with lacks: [chargingSwitch] (an overheating slot is locked out and alarmed as not cut; the whole-cabinet cut is used where bound)`,
    ]);
  });

  it('declared lacking instead: accepted, and the notice says what the station does', async () => {
    const p = replaced('  setCharging: charge\n', '').replace('commands:', 'lacks: [chargingSwitch]\ncommands:');
    writeFileSync(join(dir.path, PROFILE), p);
    writeFileSync(join(dir.path, 'station.yaml'), STATION);
    const station = await loadStation(join(dir.path, 'station.yaml'));
    expect(station.notices?.map((n) => n.message)).toContain(
      'setCharging not bound: declared lacking (lacks: [chargingSwitch]): an overheating slot is locked out and raises a critical alarm saying charging could not be cut; setCabinetCharging is used where bound',
    );
  });

  it('a required slot role, on the line of roles.slots; a profile with no roles at all, on its kind line', async () => {
    const p = replaced('    batteryTemperature: temperature\n', '');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${rolesSlotsLine(p)}: roles.slots: slots.batteryTemperature is not bound, and a battery-cabinet needs it: the station would lose: overheat at 60 °C (slot.overheat.N) and a fast rise (slot.temp-rising.N), both critical, cut the slot's charging and lock it out; released below 45 °C; where nothing can cut it, slot.charging-not-cut.N (critical) says so (overheat protection needs the pack temperature (bind several sensors with points: [...], the hottest counts))`,
    ]);
    const bare = CABINET.slice(0, CABINET.indexOf('roles:'));
    const out = await problems(bare);
    expect(out.map((l) => l.split(': ').slice(0, 3).join(': '))).toEqual([
      `${PROFILE}:2: roles: slots.state is not bound, and a battery-cabinet needs it`,
      `${PROFILE}:2: roles: slots.doorOpen is not bound, and a battery-cabinet needs it`,
      `${PROFILE}:2: roles: slots.batteryTemperature is not bound, and a battery-cabinet needs it`,
      `${PROFILE}:2: roles: openSlotDoor is not bound, and a battery-cabinet needs it`,
      `${PROFILE}:2: roles: setCharging is not bound, and a battery-cabinet needs it`,
    ]);
  });

  it('an occupancy sensor that binds neither people nor presence', async () => {
    writeFileSync(join(dir.path, 'profiles/occ-b.yaml'), 'id: occ-b\nkind: occupancy\nvendor: B\nmodel: O\npoints:\n  still: { address: 0 }\nroles:\n  stillSeconds: still\n');
    const station = STATION.replace('kind: battery-cabinet\n    profile: cabinet-b', 'kind: occupancy\n    profile: occ-b');
    expect(await problems(CABINET, station)).toEqual([
      'profiles/occ-b.yaml:7: roles: none of people, presence is bound: an occupancy needs one of them, or it can never say anyone is inside',
    ]);
  });
});

describe('a role bound to a point of the wrong type', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['a flag on a float32 without when', '  mainsOk:', '  tamper: cabinetTemp\n  mainsOk:', /roles\.tamper: cabinetTemp is a float32 measurement, and "not 0" is no yes\/no for it: give when: \[values\], or bind a bool, bits or enum point; the station would lose tamper: an opened cabinet body/],
    ['a number role on an enum point', 'charge: soc', 'charge: code', /roles\.slots\.charge: code is an enum point, and slots\.charge \(number, %\) reads an int16, uint16, int32, uint32 or float32 point; the station would lose slots\.charge: the fullest ready battery/],
    ['a number role on a bits point', 'batteryTemperature: temperature', 'batteryTemperature: alarms', /roles\.slots\.batteryTemperature: alarms is a bits point, and slots\.batteryTemperature \(number, °C\) reads an int16/],
    ['a state role on a bits point', 'state: { point: code, map: { empty: [empty], charging: [charging], ready: [full], fault: [error] } }', 'state: { point: alarms, map: { empty: [0], ready: [1] } }', /roles\.slots\.state: alarms is a bits point, and slots\.state \(state\) reads an enum point whose labels map to empty, charging, ready, fault, disabled, or an integer point of state codes/],
    ['a bit of a point that is not bits', 'overTemperature: alarms.overTemp', 'overTemperature: temperature.high', /roles\.slots\.overTemperature: bit high: temperature is an int16 point, not a bits point; the station would lose slots\.overTemperature/],
    ['a flag on a whole bits point', 'smoke: status.smoke', 'smoke: status', /roles\.smoke: status is a bits point: name the bit, status\.<bit> \(its bits: smoke, mainsFail\); the station would lose smoke/],
    ['when values the enum cannot produce', 'doorOpen: { point: doorState, when: [open] }', 'doorOpen: { point: doorState, when: [opened] }', /roles\.slots\.doorOpen\.when\[0\]: doorState never reads "opened" \(it reads shut \(0\), open \(1\)\), so this value never means yes; the station would lose slots\.doorOpen/],
    ['an enum flag without when', 'doorOpen: { point: doorState, when: [open] }', 'doorOpen: doorState', /roles\.slots\.doorOpen: doorState is an enum \(shut \(0\), open \(1\)\): say which values mean yes with when: \[\.\.\.\]/],
    ['a slot role on a device-wide point', 'charge: soc', 'charge: cabinetTemp', /roles\.slots\.charge: "cabinetTemp" is a device-wide point, one for the whole device; slots\.charge is read per slot, from a point of group slots/],
    ['a device role on a point of the slots group', 'cabinetTemperature: cabinetTemp', 'cabinetTemperature: temperature', /roles\.cabinetTemperature: "temperature" is a point of group slots, one per slot; cabinetTemperature is one value for the whole device and reads a device-wide point/],
    ['an option the role does not read', 'charge: soc', 'charge: { point: soc, invert: true }', /roles\.slots\.charge\.invert: invert is for flag roles, and slots\.charge is a number role: the station would not read it/],
  ];
  for (const [what, from, to, expected] of cases) {
    it(what, async () => {
      const p = replaced(from, to);
      const out = await problems(p);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(expected);
      // On the line of the binding.
      const bound = to.split('\n').find((l) => !l.startsWith('  mainsOk')) ?? to;
      expect(out[0]).toMatch(new RegExp(`^profiles/cabinet-b\\.yaml:${line(p, bound.trim())}: `));
    });
  }
});

describe('state maps', () => {
  it('a label mapped to no state, and no value for a state the logic needs: charged batteries never offered', async () => {
    const p = replaced('"30": full', '"30": charged').replace('ready: [full], ', '');
    const mapLine = line(p, 'state: { point: code');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${mapLine}: roles.slots.state.map: code value "charged" (30) is mapped to no state: a slot reading it counts as unknown, neither empty nor ready (which slots take a returned battery (empty) and which batteries may be offered (ready)); add it to one of map's states`,
      `${PROFILE}:${mapLine}: roles.slots.state.map: no value of code is mapped to ready, a state the station needs: which slots take a returned battery (empty) and which batteries may be offered (ready)`,
    ]);
  });

  it('a map key that is not a canonical state, and a vendor value the point never reads', async () => {
    const p = replaced('ready: [full], fault: [error]', 'ready: [full], faulted: [error], disabled: [off]');
    const mapLine = line(p, 'state: { point: code');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${mapLine}: roles.slots.state.map.faulted: "faulted" is not a state the station knows (did you mean fault?) (states: empty, charging, ready, fault, disabled): values mapped to it read unknown; the station would lose slots.state: which slots take a returned battery (empty) and which batteries may be offered (ready)`,
      `${PROFILE}:${mapLine}: roles.slots.state.map.disabled[0]: code never reads "off" (it reads empty (10), charging (20), full (30), error (90)); the station would lose slots.state: which slots take a returned battery (empty) and which batteries may be offered (ready)`,
      `${PROFILE}:${mapLine}: roles.slots.state.map: code value "error" (90) is mapped to no state: a slot reading it counts as unknown, neither empty nor ready (which slots take a returned battery (empty) and which batteries may be offered (ready)); add it to one of map's states`,
    ]);
  });

  it('no map: the enum\'s labels must be the states themselves', async () => {
    const p = replaced('state: { point: code, map: { empty: [empty], charging: [charging], ready: [full], fault: [error] } }', 'state: code');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'state: code')}: roles.slots.state: code value "full" (30) is mapped to no state, and without map: its labels must be the station's states (empty, charging, ready, fault, disabled): a slot reading it counts as unknown, neither empty nor ready (which slots take a returned battery (empty) and which batteries may be offered (ready)); add it to one of map's states`,
      `${PROFILE}:${line(p, 'state: code')}: roles.slots.state: code value "error" (90) is mapped to no state, and without map: its labels must be the station's states (empty, charging, ready, fault, disabled): a slot reading it counts as unknown, neither empty nor ready (which slots take a returned battery (empty) and which batteries may be offered (ready)); add it to one of map's states`,
      `${PROFILE}:${line(p, 'state: code')}: roles.slots.state: no value of code is mapped to ready, a state the station needs: which slots take a returned battery (empty) and which batteries may be offered (ready)`,
    ]);
    expect(await problems(p.replace('"30": full, "90": error', '"30": ready, "90": fault'))).toEqual([]);
  });

  it('raw state codes on an integer point, and a map written as a block, each on its own line', async () => {
    const p = replaced(
      '    state: { point: code, map: { empty: [empty], charging: [charging], ready: [full], fault: [error] } }',
      '    state:\n      point: soc\n      map:\n        empty: [10]\n        ready: [30, 31]\n        fault: [broken]',
    );
    expect(await problems(p)).toEqual([`${PROFILE}:${line(p, 'fault: [broken]')}: roles.slots.state.map.fault[0]: soc is a uint16 of state codes: map takes whole numbers, not "broken"; the station would lose slots.state: which slots take a returned battery (empty) and which batteries may be offered (ready)`]);
  });
});

describe('command roles whose command cannot be written as the logic writes it', () => {
  it('a per-slot door command with neither a group nor the slot in its value: every slot would open one door', async () => {
    const p = replaced('openDoor: { table: holding, address: 50, type: uint16, value: slot }', 'openDoor: { table: holding, address: 50, type: uint16, value: 1 }');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'openSlotDoor:')}: roles.openSlotDoor: openDoor writes the same holding 50 the same way for every slot, so one slot's write would act on another's: give it group: slots (one target per slot), or a value that is an expression of slot or index; the station would lose openSlotDoor: a swap opens the empty slot, then the charged one; a rider's own battery is handed back with it`,
    ]);
  });

  it('values out of the range of their type, for some slot or always', async () => {
    const p = replaced('type: uint16, value: slot }', 'type: int16, value: "slot + 32760" }');
    expect(await problems(p)).toEqual([expect.stringMatching(new RegExp(`^profiles/cabinet-b\\.yaml:${line(p, 'openSlotDoor:')}: roles\\.openSlotDoor: openDoor's value is 32768 for slot 8, out of the range of an int16 \\(-32768 to 32767\\); the station would lose openSlotDoor`))]);
    const q = replaced('type: uint16, value: slot }', 'type: uint16, group: slots, value: -1 }');
    expect(await problems(q)).toEqual([expect.stringMatching(/roles\.openSlotDoor: openDoor's value is -1, out of the range of a uint16 \(0 to 65535\)/)]);
    const r = replaced('charge: { table: coil, address: 200, group: slots }', 'charge: { table: holding, address: 200, group: slots, type: uint16, scale: 0.00001 }');
    expect(await problems(r)).toEqual([expect.stringMatching(/roles\.setCharging: charge's value is 1, 100000 in the register \(value \/ scale 0\.00001\), out of the range of a uint16 \(0 to 65535\)/)]);
    const s = replaced('charge: { table: coil, address: 200, group: slots }', 'charge: { table: coil, address: 200, value: "index + value" }');
    expect(await problems(s)).toEqual([expect.stringMatching(/roles\.setCharging: charge's value is 2 for slot 2 and value 1, and a coil takes 0 or 1 \(false or true\)/)]);
  });

  it('an on/off role bound to a command that always writes the same value: charging could never be cut', async () => {
    const p = replaced('charge: { table: coil, address: 200, group: slots }', 'charge: { table: coil, address: 200, group: slots, value: true }');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'setCharging:')}: roles.setCharging: setCharging switches on and off, but charge always writes true: off would be the same write as on (leave value out to write the caller's, or use value in its expression); the station would lose setCharging: an overheating slot's charging is cut, and restored once it cooled`,
    ]);
  });

  it('a per-slot command bound to a device role, and a command role bound to a point', async () => {
    const p = replaced('  setCharging: charge\n', '  setCharging: charge\n  setCabinetCharging: charge\n');
    expect(await problems(p)).toEqual([expect.stringMatching(new RegExp(`^profiles/cabinet-b\\.yaml:${line(p, 'setCabinetCharging')}: roles\\.setCabinetCharging: charge is written per slot \\(group slots\\), and setCabinetCharging is written once for the whole device: it would reach slot 1's target only`))]);
    const q = replaced('openSlotDoor: openDoor', 'openSlotDoor: doorCmd');
    expect(await problems(q)).toEqual([expect.stringMatching(/roles\.openSlotDoor: "doorCmd" is a point, not a command: commands: \{ doorCmd: \{ point: doorCmd \} \} writes through it, once the point is marked writable: true; the station would lose openSlotDoor/)]);
  });

  it('a command role inside the slots block, where it is not read', async () => {
    const p = replaced('    batteryId: serial\n  openSlotDoor: openDoor\n', '    batteryId: serial\n    openSlotDoor: openDoor\n');
    expect(await problems(p)).toEqual([
      expect.stringMatching(new RegExp(`^profiles/cabinet-b\\.yaml:${line(p, 'roles:')}: roles: openSlotDoor is not bound, and a battery-cabinet needs it`)),
      `${PROFILE}:${line(p, '    openSlotDoor')}: roles.slots.openSlotDoor: openSlotDoor is a command role: bind it directly under roles, beside the device roles (the command's group or slot expression makes it per slot); here it is not read`,
    ]);
  });

  it('a command through a point that is not writable: refused on the command\'s line', async () => {
    const p = replaced('openDoor: { table: holding, address: 50, type: uint16, value: slot }', 'openDoor: { point: doorCmd, value: slot }');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'openDoor: { point')}: commands.openDoor.point: point "doorCmd" is not writable: mark it writable: true if the device takes writes there`,
    ]);
    // Marked writable, the same command serves the role.
    expect(await problems(p.replace('doorCmd: { address: 14, writable: false }', 'doorCmd: { address: 14, writable: true }'))).toEqual([]);
  });
});

describe('lacks', () => {
  it('a part declared lacking whose role is bound all the same, and a part the kind does not have', async () => {
    const p = replaced('commands:', 'lacks: [doorSensor, valveReadback]\ncommands:');
    expect(await problems(p)).toEqual([
      `${PROFILE}:${line(p, 'lacks:')}: lacks[1]: a battery-cabinet has no part valveReadback to lack (its parts: doorSensor, chargingSwitch)`,
      `${PROFILE}:${line(p, 'doorOpen:')}: roles.slots.doorOpen: lacks says doorSensor (the cabinet does not report whether a slot door is open), yet slots.doorOpen is bound: remove one, the station cannot both use it and do without it (a swap follows the battery: in (present, or a new id) for the return, gone for the take)`,
    ]);
  });
});

describe('station-gateway validate', () => {
  it('prints the notices after ok and exits 0; a refused profile exits 2 with its lines', async () => {
    writeFileSync(join(dir.path, PROFILE), CABINET);
    writeFileSync(join(dir.path, 'station.yaml'), STATION);
    const cli = join(packageRoot(), 'dist', 'gateway', 'cli', 'station-gateway.js');
    const ok = await promisify(execFile)(process.execPath, [cli, 'validate', '--config', join(dir.path, 'station.yaml')]);
    const lines = ok.stdout.replaceAll(`${dir.path}/`, '').trim().split('\n');
    expect(lines[0]).toBe('station.yaml: ok (station st-0001, 1 devices)');
    expect(lines.slice(1)).toContain(`${PROFILE}: slots.packType not bound: every battery counts as one pack type ("unknown")`);
    expect(lines).toHaveLength(9);

    writeFileSync(join(dir.path, PROFILE), replaced('smoke: status.smoke', 'smoke: status.smokeDetected'));
    const refused = await promisify(execFile)(process.execPath, [cli, 'validate', '--config', join(dir.path, 'station.yaml')]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr.replaceAll(`${dir.path}/`, '')).toContain(`${PROFILE}:${line(CABINET, 'smoke: status.smoke')}: roles.smoke: status has no bit "smokeDetected" (did you mean smoke?)`);
  });
});

describe('smoke detectors', () => {
  const station = (device: string): string => STATION.replace(/  - id: cabinet-1\n[\s\S]*$/, device);

  it('on GPIO with its alarm contact pin, or refused without one; a smoke pin on another kind is refused', async () => {
    const gpio = '  - { id: smoke-1, kind: smoke-detector, transport: { type: gpio, path: /dev/ttyACM0, pins: { smoke: 7 } } }\n';
    expect(await problems(CABINET, station(gpio))).toEqual([]);
    expect(await problems(CABINET, station(gpio.replace('pins: { smoke: 7 }', 'pins: { presence: 7 }')))).toEqual([
      'station.yaml:8: devices[0] (smoke-1).transport.pins.smoke: a GPIO smoke detector needs its alarm contact pin (pins.smoke)',
    ]);
    expect(await problems(CABINET, station(gpio.replace('kind: smoke-detector', 'kind: occupancy').replace('pins: { smoke: 7 }', 'pins: { presence: 6, smoke: 7 }')))).toEqual([
      "station.yaml:8: devices[0] (smoke-1).transport.pins.smoke: pins.smoke is a smoke detector's alarm contact: give it a device of its own, kind smoke-detector (an occupancy never reads it)",
    ]);
  });

  it('on Modbus only with a profile that binds smoke; never on a serial line', async () => {
    const modbus = '  - { id: smoke-1, kind: smoke-detector, profile: smoke-b, transport: { type: modbus-tcp, host: 127.0.0.1, port: 5022 } }\n';
    writeFileSync(join(dir.path, 'profiles/smoke-b.yaml'), 'id: smoke-b\nkind: smoke-detector\nvendor: B\nmodel: S\npoints:\n  alarm: { address: 0, type: enum, values: { "0": normal, "1": alarm, "2": fault } }\nroles:\n  smoke: { point: alarm, when: [alarm] }\n  sensorFault: { point: alarm, when: [fault] }\n');
    expect(await problems(CABINET, station(modbus))).toEqual([]);
    writeFileSync(join(dir.path, 'profiles/smoke-b.yaml'), 'id: smoke-b\nkind: smoke-detector\nvendor: B\nmodel: S\npoints:\n  alarm: { address: 0, type: enum, values: { "0": normal, "1": alarm, "2": fault } }\nroles:\n  sensorFault: { point: alarm, when: [fault] }\n');
    expect(await problems(CABINET, station(modbus))).toEqual([
      'profiles/smoke-b.yaml:7: roles: smoke is not bound, and a smoke-detector needs it: the station would lose: smoke cuts charging everywhere, releases the doors, closes the station and raises station.smoke (critical) (a smoke detector must report smoke)',
    ]);
    expect(await problems(CABINET, station(modbus.replace('profile: smoke-b, ', '')))).toEqual([
      'station.yaml:8: devices[0] (smoke-1).profile: a Modbus smoke-detector needs a profile (e.g. cabinet-ref, dispenser-ref, occupancy-ref)',
    ]);
    expect(await problems(CABINET, station('  - { id: smoke-1, kind: smoke-detector, transport: { type: serial, path: /dev/ttyUSB0 } }\n'))).toEqual([
      'station.yaml:8: devices[0] (smoke-1).transport.type: a smoke-detector is read through a profile over Modbus: transport.type must be modbus-rtu, modbus-tcp, modbus-rtu-over-tcp or gpio, not serial',
    ]);
  });
});

describe('any edit of a good profile', () => {
  /** Values a crew might put where another belonged: other names of the file, numbers, expressions, shapes. */
  const VALUES = ['code', 'soc', 'alarms', 'alarms.cellFault', 'status', 'status.mainsFail', 'cabinetTemp', 'openDoor', 'charge', 'slots', 'doorCmd', '0', '-1', '70000', '1.5', 'true', 'slot', '"slot * 70000"', '"index / 0"', '[open]', '[full, 30]', '{ point: code }', '{ point: code, map: { ready: [full] } }', '{ points: [soc, temperature] }', '{ command: charge }', '{ point: status, bit: smoke, when: [1] }', '[doorSensor, chargingSwitch]'];
  const edit = fc.array(
    fc.tuple(fc.nat(), fc.oneof(fc.constant(undefined), fc.constantFrom(...VALUES))),
    { minLength: 1, maxLength: 3 },
  );

  it(
    'is accepted, or refused with every problem on a line of the profile: never a throw',
    async () => {
      const file = join(dir.path, PROFILE);
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(edit, async (edits) => {
          const lines = CABINET.split('\n');
          for (const [at, value] of edits) {
            const i = at % lines.length;
            const current = lines[i] ?? '';
            // Delete the line, or put another value after its key.
            if (value === undefined) lines.splice(i, 1);
            else if (current.includes(': ')) lines[i] = `${current.slice(0, current.indexOf(': '))}: ${value}`;
          }
          writeFileSync(file, lines.join('\n'));
          const { problems: found } = loadCheckedProfile(file);
          if (found.length > 0) refused++;
          for (const p of found) expect(p.line, formatProblem(p)).toBeTypeOf('number');
        }),
        settings(200),
      );
      expect(refused).toBeGreaterThan(20);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
