import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStation, loadStationConfig } from '../../config/load-station-config.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * What `validate` let through and `run` then died on (issue 14), and what `validate` reported
 * only in a second round. Every problem is one line: file:line: key.path: what is wrong.
 */

const BASE = `station:
  id: st-0001
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: data/gateway.db
devices:
  - id: cabinet-1
    kind: battery-cabinet
    profile: cabinet-ref
    transport: { type: modbus-tcp, host: 127.0.0.1, port: 5020, unitId: 1 }
`;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

function write(text: string, name = 'station.yaml'): string {
  const file = join(dir.path, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** The problems as the CLI prints them, file paths made relative to the test's folder. */
async function problems(text: string): Promise<string[]> {
  const file = write(text);
  try {
    await loadStation(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => formatProblem(p).replaceAll(`${dir.path}/`, ''));
  }
  throw new Error('expected the config to be rejected');
}

const publicJwk = (kid: string): Record<string, unknown> => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid });

describe('values run rejects are rejected by validate', () => {
  it('an unknown time zone, with the zone it was probably meant to be', async () => {
    expect(await problems(BASE.replace('id: st-0001', 'id: st-0001\n  timezone: Asia/Shanghia'))).toEqual([
      'station.yaml:3: station.timezone: unknown time zone "Asia/Shanghia" (did you mean Asia/Shanghai?): an IANA name such as Asia/Shanghai',
    ]);
    expect(loadStationConfig(write(BASE.replace('id: st-0001', 'id: st-0001\n  timezone: Asia/Shanghai'))).config.station.timezone).toBe('Asia/Shanghai');
  });

  it('a broker URL MQTT.js throws on at connect, and credentials in it', async () => {
    expect(await problems(BASE.replace('mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:99999'))).toEqual([
      'station.yaml:4: cloud.url: is not a URL (mqtt://host:port or mqtts://host:port)',
    ]);
    expect(await problems(BASE.replace('mqtt://127.0.0.1:1883', 'mqtt://st:hunter2@127.0.0.1:1883'))).toEqual([
      expect.stringMatching(/^station\.yaml:4: cloud\.url: secrets are never inline/),
    ]);
  });

  it('listen addresses node:net cannot bind: a port past 65535, a host that is no IP, two servers on one port', async () => {
    const out = await problems(`${BASE}metrics: { listen: "127.0.0.1:70000" }\nstatusPage: { listen: "999.1.1.1:8080", passwordFile: pw }\n`);
    expect(out).toEqual([
      'station.yaml:12: metrics.listen: port 70000 is past 65535',
      'station.yaml:13: statusPage.listen: "999.1.1.1" is not an IP address (or localhost)',
      // The section's other keys are still checked in the same round.
      'station.yaml:13: statusPage.passwordFile: file not found: pw',
    ]);
    write('a-long-password\n', 'pw');
    expect(await problems(`${BASE}metrics: { listen: "127.0.0.1:9464" }\nstatusPage: { listen: "0.0.0.0:9464", passwordFile: pw }\n`)).toEqual([
      'station.yaml:13: statusPage.listen: 0.0.0.0:9464 is also metrics.listen (127.0.0.1:9464): the two servers need different ports',
    ]);
  });

  it('a status page password the page refuses to start with', async () => {
    write('short\nsecond line is not read\n', 'pw');
    expect(await problems(`${BASE}statusPage: { listen: "127.0.0.1:0", passwordFile: pw }\n`)).toEqual([
      'station.yaml:12: statusPage.passwordFile: the password in pw (its first line) is 5 characters; the status page needs at least 8',
    ]);
  });

  it('TLS files node:tls throws on when MQTT.js connects', async () => {
    write('not a certificate\n', 'tls/cert.pem');
    write('not a key\n', 'tls/key.pem');
    const tls = BASE.replace('url: mqtt://127.0.0.1:1883', 'url: mqtts://127.0.0.1:8883\n  cert: tls/cert.pem\n  key: tls/key.pem');
    expect(await problems(tls)).toEqual([
      expect.stringMatching(/^station\.yaml:5: cloud\.cert: not a PEM certificate: /),
      expect.stringMatching(/^station\.yaml:6: cloud\.key: not a PEM private key: /),
    ]);
  });

  it('a database path that is a folder, or under a file', async () => {
    mkdirSync(join(dir.path, 'data'));
    expect(await problems(BASE.replace('path: data/gateway.db', 'path: data'))).toEqual(['station.yaml:6: storage.path: data is a folder; name the database file in it (e.g. data/gateway.db)']);
    write('x', 'plain-file');
    expect(await problems(BASE.replace('path: data/gateway.db', 'path: plain-file/gateway.db'))).toEqual([
      'station.yaml:6: storage.path: plain-file is a file, so the database cannot be made under it',
    ]);
  });

  it('a cabinet on a serial port: it would be driven as a QR scanner and the station logic throws', async () => {
    expect(await problems(BASE.replace('    profile: cabinet-ref\n', '').replace('type: modbus-tcp, host: 127.0.0.1, port: 5020, unitId: 1', 'type: serial, path: /dev/ttyUSB3'))).toEqual([
      'station.yaml:10: devices[0] (cabinet-1).transport.type: a battery-cabinet is read through a profile over Modbus: transport.type must be modbus-rtu, modbus-tcp or modbus-rtu-over-tcp, not serial',
    ]);
  });

  it('trusted keys that the access wiring refuses at start: a private key, a key of another curve', async () => {
    const privateJwk = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'k1' };
    write(JSON.stringify({ keys: [privateJwk, { kty: 'OKP', crv: 'X25519', x: 'AAAA', kid: 'k2' }] }), 'keys.json');
    expect(await problems(`${BASE}access: { trustedKeys: keys.json }\n`)).toEqual([
      'keys.json: keys[0] (k1): holds a private key ("d"): a station needs public keys only; remove "d" and keep the private key in the cloud',
      'keys.json: keys[1] (k2): must be an Ed25519 key (kty OKP, crv Ed25519), not OKP/X25519',
    ]);
    write(JSON.stringify({ keys: [publicJwk('k1')] }), 'keys.json');
    await expect(loadStation(write(`${BASE}access: { trustedKeys: keys.json }\n`))).resolves.toMatchObject({ config: { access: { trustedKeys: join(dir.path, 'keys.json') } } });
  });
});

describe('profiles that cannot serve at run time', () => {
  it('a point or a group instance past the last Modbus address, on the profile file\'s own line', async () => {
    write(
      `id: cabinet-acme
kind: battery-cabinet
vendor: Acme
model: X
points:
  slotCount: { address: 0 }
  serial: { address: 65535, type: uint32 }
groups:
  slots:
    count: slotCount
    maxCount: 64
    base: 65000
    stride: 10
    points:
      soc: { address: 2 }
commands:
  openSlotDoor: { table: coil, address: 0, group: slots, value: true }
  setCharging: { table: coil, address: 65500, group: slots }
`,
      'profiles/cabinet-acme.yaml',
    );
    expect(await problems(BASE.replace('profile: cabinet-ref', 'profile: cabinet-acme'))).toEqual([
      'profiles/cabinet-acme.yaml:7: points.serial.address: a uint32 at 65535 ends at 65536, past the last Modbus address 65535',
      'profiles/cabinet-acme.yaml:15: groups.slots.points.soc.address: instance 63 of slots puts it at 65632, ending at 65632: past the last Modbus address 65535 (lower maxCount, base or stride)',
      'profiles/cabinet-acme.yaml:18: commands.setCharging.address: instance 63 writes 65563, past the last Modbus address 65535',
    ]);
  });

  it('a cabinet profile without the roles and commands swaps and battery safety need, on the profile\'s own lines', async () => {
    write('id: cabinet-acme\nkind: battery-cabinet\nvendor: Acme\nmodel: X\npoints:\n  status: { address: 1 }\ncommands:\n  setCharging: { table: coil, address: 100 }\nroles:\n  setCharging: setCharging\n', 'profiles/cabinet-acme.yaml');
    const out = await problems(BASE.replace('profile: cabinet-ref', 'profile: cabinet-acme'));
    expect(out).toEqual([
      expect.stringMatching(/^profiles\/cabinet-acme\.yaml:9: roles: slots\.state is not bound, and a battery-cabinet needs it: /),
      expect.stringMatching(/^profiles\/cabinet-acme\.yaml:9: roles: slots\.doorOpen is not bound, .*lacks: \[doorSensor\]/),
      expect.stringMatching(/^profiles\/cabinet-acme\.yaml:9: roles: slots\.batteryTemperature is not bound, /),
      "profiles/cabinet-acme.yaml:9: roles: openSlotDoor is not bound, and a battery-cabinet needs it: the station would lose: a swap opens the empty slot, then the charged one; a rider's own battery is handed back with it (a cabinet the gateway cannot open cannot swap)",
      expect.stringMatching(/^profiles\/cabinet-acme\.yaml:10: roles\.setCharging: setCharging writes the same coil 100 the same way for every slot, so one slot's write would act on another's: give it group: slots/),
    ]);
  });
});

describe('resources no token can use', () => {
  it('a resource on a kind no action applies to, and a door on a device that has none', async () => {
    const file = `${BASE}  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 5021 } }\nresources:\n  room: { device: occupancy-1 }\n  cabinet: { device: cabinet-1, door: 2 }\n`;
    expect(await problems(file)).toEqual([
      'station.yaml:14: resources.room.device: occupancy-1 is an occupancy, which no token acts on: a resource is a door lock, a battery cabinet or a water dispenser',
      'station.yaml:15: resources.cabinet.door: cabinet-1 is a battery-cabinet, not a door lock: door applies to door-lock resources only',
    ]);
  });
});

describe('two devices with one unit id on one bus', () => {
  const two = (a: string, b: string): string => `station:
  id: st-0001
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: data/gateway.db
devices:
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: ${a} }
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: ${b} }
`;

  it('Modbus RTU on one serial path', async () => {
    expect(await problems(two('{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2 }', '{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2 }'))).toEqual([
      'station.yaml:9: devices[1] (occupancy-1).transport.unitId: occupancy-1 and water-1 are both unit 2 on /dev/ttyUSB1 (one RS-485 bus): each device there needs its own unitId',
    ]);
    // Other units on the line are fine; so is the same unit on another line.
    await expect(loadStation(write(two('{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2 }', '{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 3 }')))).resolves.toBeDefined();
    await expect(loadStation(write(two('{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2 }', '{ type: modbus-rtu, path: /dev/ttyUSB2, unitId: 2 }')))).resolves.toBeDefined();
  });

  it('RTU over TCP on one converter, and Modbus TCP on one server (its default unit id too)', async () => {
    expect(await problems(two('{ type: modbus-rtu-over-tcp, host: 10.0.0.5, port: 4001, unitId: 7 }', '{ type: modbus-rtu-over-tcp, host: 10.0.0.5, port: 4001, unitId: 7 }'))).toEqual([
      'station.yaml:9: devices[1] (occupancy-1).transport.unitId: occupancy-1 and water-1 are both unit 7 on 10.0.0.5:4001 (one RS-485 bus): each device there needs its own unitId',
    ]);
    expect(await problems(two('{ type: modbus-tcp, host: 10.0.0.6 }', '{ type: modbus-tcp, host: 10.0.0.6, port: 502, unitId: 1 }'))).toEqual([
      'station.yaml:9: devices[1] (occupancy-1).transport.unitId: occupancy-1 and water-1 are both unit 1 on 10.0.0.6:502 (one Modbus TCP server): each device there needs its own unitId',
    ]);
  });

  it('one line with two speeds, unit 0 (broadcast), and two protocols on one port', async () => {
    expect(await problems(two('{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2, baudRate: 9600 }', '{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 0, baudRate: 19200 }'))).toEqual([
      'station.yaml:9: devices[1] (occupancy-1).transport.unitId: unit 0 is the Modbus RTU broadcast address, which no device answers: use 1 to 247',
      'station.yaml:9: devices[1] (occupancy-1).transport.baudRate: occupancy-1 says baudRate 19200 but water-1 on the same line /dev/ttyUSB1 says 9600: devices on one line share its settings',
    ]);
    expect(await problems(two('{ type: modbus-rtu, path: /dev/ttyUSB1, unitId: 2 }', '{ type: modbus-tcp, host: 127.0.0.1 }').replace(
      'devices:\n',
      'devices:\n  - { id: lock-1, kind: door-lock, transport: { type: serial, path: /dev/ttyUSB1 } }\n',
    ))).toEqual([
      'station.yaml:9: devices[1] (water-1).transport.path: water-1 (modbus-rtu) and lock-1 (serial) both use /dev/ttyUSB1: one port carries one protocol',
    ]);
  });
});

describe('one round', () => {
  it('shape, cross-check, profile, named-file and key-file problems together, each with its line', async () => {
    write('id: cabinet-acme\nkind: battery-cabinet\nvendor: Acme\nmodel: X\npoints:\n  temp: { address: 1, type: int17 }\n', 'profiles/cabinet-acme.yaml');
    write('{"keys": []}', 'keys.json');
    const out = await problems(`station:
  id: st-0001
  timezone: Europe/Lodnon
cloud:
  url: mqtt://127.0.0.1:1883
  username: st
  passwordFile: secrets/pw
storage:
  path: data/gateway.db
access: { trustedKeys: keys.json }
resources:
  door: { device: lock-9, door: 1 }
devices:
  - id: cabinet-1
    kind: battery-cabinet
    profile: cabinet-acme
    transport: { type: modbus-tcp, host: 127.0.0.1, port: "5020" }
  - id: water-1
    kind: water-dispenser
    profile: dispenser-acme
    transport: { type: modbus-tcp, host: 127.0.0.1, port: 5021 }
  - id: occupancy-1
    kind: occupancy
    profile: cabinet-ref
    transport: { type: modbus-tcp, host: 127.0.0.1, port: 5021 }
`);
    expect(out).toEqual([
      'station.yaml:3: station.timezone: unknown time zone "Europe/Lodnon" (did you mean Europe/London?): an IANA name such as Asia/Shanghai',
      expect.stringMatching(/^station\.yaml:7: cloud\.passwordFile: file not found: .*secrets\/pw$/),
      'station.yaml:12: resources.door.device: no device with id "lock-9" in devices',
      'station.yaml:17: devices[0] (cabinet-1).transport.port: must be a number, not string "5020"',
      expect.stringMatching(/^station\.yaml:20: devices\[1\] \(water-1\)\.profile: profile "dispenser-acme" not found \(looked for .*dispenser-acme\.yaml\)$/),
      'station.yaml:24: devices[2] (occupancy-1).profile: profile "cabinet-ref" describes a battery-cabinet, but the device is an occupancy',
      'station.yaml:25: devices[2] (occupancy-1).transport.unitId: occupancy-1 and water-1 are both unit 1 on 127.0.0.1:5021 (one Modbus TCP server): each device there needs its own unitId',
      'keys.json: keys: must be a non-empty array of public keys (JWKS)',
    ]);
  });

  it('the profile of a device whose own transport is wrong is still checked, with the profile file\'s line', async () => {
    write('id: cabinet-acme\nkind: battery-cabinet\nvendor: Acme\nmodel: X\npoints:\n  temp: { address: 1, type: int17 }\n', 'profiles/cabinet-acme.yaml');
    const out = await problems(BASE.replace('profile: cabinet-ref', 'profile: cabinet-acme').replace('id: st-0001', 'id: St_0001'));
    expect(out).toEqual([
      "station.yaml:2: station.id: must be 1 to 64 characters of a-z, 0-9 and '-' (station id; also the MQTT client id)",
      'profiles/cabinet-acme.yaml:6: points.temp.type: must be one of "bool", "int16", "uint16", "int32", "uint32", "float32", "bits", "enum"',
    ]);
  });

  it('a wrong key leaves the rest of its section checked: the broker URL and the password file together', async () => {
    const out = await problems(BASE.replace('url: mqtt://127.0.0.1:1883', 'url: mqtt://127.0.0.1:99999\n  keepaliveSeconds: 5\n  passwordFile: secrets/pw'));
    expect(out).toEqual([
      'station.yaml:4: cloud.url: is not a URL (mqtt://host:port or mqtts://host:port)',
      // A missing key is placed on its section's first line.
      'station.yaml:4: cloud.username: passwordFile needs a username',
      'station.yaml:5: cloud.keepaliveSeconds: must be at least 10',
      'station.yaml:6: cloud.passwordFile: file not found: secrets/pw',
    ]);
  });

  it('a section whose keys only fail together is stood in for whole, and the checks across sections still run', async () => {
    const out = await problems(`${BASE}  - { id: cabinet-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 5021 } }\nwater: { tankLowPercent: 30, sessionIdleSeconds: 1 }\n`);
    expect(out).toEqual([
      'station.yaml:12: devices[1] (cabinet-1).id: duplicate device id "cabinet-1" (also devices[0])',
      'station.yaml:13: water.sessionIdleSeconds: must be at least 5',
      'station.yaml:13: water.tankOkPercent: tankOkPercent must be above tankLowPercent',
    ]);
  });

  it('a wrong device is skipped by the cross-checks, not reported as missing', async () => {
    const out = await problems(`${BASE}resources:\n  cabinet: { device: cabinet-1 }\n`.replace('port: 5020', 'port: 0'));
    expect(out).toEqual(['station.yaml:11: devices[0] (cabinet-1).transport.port: must be at least 1']);
  });
});

describe('YAML syntax errors', () => {
  it('are one clean line: what is wrong and the column, no dangling colon', async () => {
    const out = await problems('station:\n  id: x\n  name: [unclosed\ncloud: {}\n');
    expect(out).toEqual(['station.yaml:4: YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (column 1)']);
    expect(await problems('a: b: c\n')).toEqual(['station.yaml:1: YAML: Nested mappings are not allowed in compact mappings (column 4)']);
  });
});
