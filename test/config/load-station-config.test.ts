import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';

const VALID = `
station:
  id: zj-hz-test-0001
cloud:
  url: mqtt://127.0.0.1:1883
storage:
  path: data/gateway.db
resources:
  main-door: { device: lock-1, door: 1 }
  cabinet-1: { device: cabinet-1 }
devices:
  - id: lock-1
    kind: door-lock
    transport: { type: serial, path: /dev/ttyUSB0 }
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
  writeFileSync(file, text);
  return file;
}

/** Loads and returns the problems as the CLI prints them. */
function problems(text: string): string[] {
  const file = write(text);
  try {
    loadStationConfig(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map(formatProblem);
  }
  throw new Error('expected the config to be rejected');
}

describe('loadStationConfig', () => {
  it('loads a valid file, fills defaults and makes paths absolute', () => {
    const file = write(VALID);
    const { config, profiles } = loadStationConfig(file);
    expect(config.station.openHours).toBe('00:00-24:00');
    expect(config.cloud.topicPrefix).toBe('stations');
    expect(config.cloud.protocolVersion).toBe(5);
    expect(config.storage.path).toBe(join(dir.path, 'data/gateway.db'));
    expect(config.devices[0]?.pollMs).toBe(1000);
    expect(config.resources['main-door']?.unlockMs).toBe(5000);
    expect(profiles.get('cabinet-1')?.id).toBe('cabinet-ref');
  });

  it('accepts the shipped demo station and the example station file', () => {
    // The demo's trusted keys are made by `npm start` on first run, so they may not exist yet.
    const demo = loadStationConfig(join(packageRoot(), 'config', 'demo-station.yaml'), { checkFiles: false });
    expect(demo.config.station.location).toEqual({ lat: 30.2741, lon: 120.1634 });
    expect(demo.config.devices.map((d) => d.kind).sort()).toEqual(['battery-cabinet', 'door-lock', 'occupancy', 'qr-scanner', 'water-dispenser']);
    // The project's own example (deploy/), never a file outside the repository: a clone has only itself.
    const example = loadStationConfig(join(packageRoot(), 'deploy', 'station.example.yaml'), { checkFiles: false });
    expect(example.config.station.id).toBe('zj-hz-sc-0001');
  });

  it('names the file, the line, the key path and the fault for each problem', () => {
    const out = problems(VALID.replace('port: 5020', 'port: "5020"').replace('id: zj-hz-test-0001', 'id: Bad_Station'));
    expect(out).toEqual([
      expect.stringMatching(/station\.yaml:3: station\.id: must be 1 to 64 characters of a-z, 0-9 and '-'/),
      expect.stringMatching(/station\.yaml:\d+: devices\[1\] \(cabinet-1\)\.transport\.port: must be a number, not string "5020"/),
    ]);
  });

  it('reports a missing required key', () => {
    expect(problems(VALID.replace('storage:\n  path: data/gateway.db\n', ''))).toEqual([expect.stringMatching(/: storage: is required \(object\)$/)]);
  });

  it('reports an unknown key, such as a misspelt one', () => {
    expect(problems(VALID.replace('kind: door-lock', 'kind: door-lock\n    pollms: 100'))).toEqual([
      expect.stringMatching(/:\d+: devices\[0\] \(lock-1\)\.pollms: unknown key "pollms"/),
    ]);
  });

  it('reports a value out of range and a value not in the list', () => {
    const out = problems(VALID.replace('port: 5020', 'port: 70000').replace('kind: door-lock', 'kind: door-lok'));
    expect(out).toEqual([
      expect.stringMatching(/devices\[0\] \(lock-1\)\.kind: must be one of "door-lock", .*"occupancy"/),
      expect.stringMatching(/devices\[1\] \(cabinet-1\)\.transport\.port: must be at most 65535/),
    ]);
  });

  it('reports a station position off the globe or swapped into the wrong key', () => {
    const out = problems(VALID.replace('id: zj-hz-test-0001', 'id: zj-hz-test-0001\n  location: { lat: 120.1634, lon: 30.2741 }'));
    expect(out).toEqual([expect.stringMatching(/station\.yaml:4: station\.location\.lat: must be at most 90/)]);
    expect(problems(VALID.replace('id: zj-hz-test-0001', 'id: zj-hz-test-0001\n  location: { lat: 30.2741, lng: 120.1634 }'))).toEqual([
      expect.stringMatching(/station\.location\.lon: is required/),
      expect.stringMatching(/station\.location\.lng: unknown key "lng"/),
    ]);
  });

  it('reports an unknown transport type with the types it knows', () => {
    expect(problems(VALID.replace('type: serial', 'type: carrier-pigeon'))).toEqual([
      expect.stringMatching(/devices\[0\] \(lock-1\)\.transport\.type: must be one of "serial", .*"modbus-rtu", "modbus-tcp", "modbus-rtu-over-tcp", "gpio"/),
    ]);
  });

  it('refuses inline secrets', () => {
    expect(problems(VALID.replace('url: mqtt://127.0.0.1:1883', 'url: mqtt://127.0.0.1:1883\n  username: st\n  password: hunter2'))).toEqual([
      expect.stringMatching(/cloud\.password: secrets are never inline: put the password in a file and name it in cloud\.passwordFile/),
    ]);
    expect(problems(VALID.replace('url: mqtt://127.0.0.1:1883', 'url: mqtts://b:8883\n  cert: "-----BEGIN CERTIFICATE-----"\n  key: k.pem'))).toContainEqual(
      expect.stringMatching(/cloud\.cert: PEM text is never inline/),
    );
  });

  it('reports secret and key files that do not exist', () => {
    const out = problems(VALID.replace('url: mqtt://127.0.0.1:1883', 'url: mqtt://127.0.0.1:1883\n  username: st\n  passwordFile: secrets/pw'));
    expect(out).toEqual([expect.stringMatching(/cloud\.passwordFile: file not found: .*secrets\/pw$/)]);
  });

  it('checks references between sections', () => {
    const out = problems(
      VALID.replace('main-door: { device: lock-1, door: 1 }', 'main-door: { device: lock-9, door: 1 }\n  side-door: { device: lock-1 }').replace(
        '  - id: cabinet-1\n',
        '  - id: lock-1\n',
      ),
    );
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/devices\[1\] \(lock-1\)\.id: duplicate device id "lock-1" \(also devices\[0\]\)/),
        expect.stringMatching(/resources\.main-door\.device: no device with id "lock-9"/),
        expect.stringMatching(/resources\.side-door\.door: lock-1 is a door lock: say which door/),
      ]),
    );
  });

  it('checks that a device and its transport and profile fit together', () => {
    const out = problems(VALID.replace('    profile: cabinet-ref\n', '').replace('type: serial, path: /dev/ttyUSB0', 'type: modbus-tcp, host: x, unitId: 1'));
    expect(out).toEqual([
      expect.stringMatching(/devices\[0\] \(lock-1\)\.transport\.type: a door-lock speaks the line protocol/),
      expect.stringMatching(/devices\[1\] \(cabinet-1\)\.profile: a Modbus battery-cabinet needs a profile/),
    ]);
  });

  it('refuses a cabinet polled too seldom for its temperature rise to be measured, which would switch the early cut off', () => {
    const slow = VALID.replace('    profile: cabinet-ref\n', '    profile: cabinet-ref\n    pollMs: 15000\n');
    expect(problems(slow)).toEqual([
      expect.stringMatching(/station\.yaml:\d+: devices\[1\] \(cabinet-1\)\.pollMs: a cabinet read every 15000 ms never has its battery temperature rise measured \(batterySafety\.riseWindowSeconds 60 needs a reading at least every 12000 ms\)/),
    ]);
    // A wider window fits the slow poll.
    expect(() => loadStationConfig(write(`${slow}batterySafety: { riseWindowSeconds: 120 }\n`))).not.toThrow();
  });

  it('reports an unknown profile and a profile of the wrong kind', () => {
    expect(problems(VALID.replace('profile: cabinet-ref', 'profile: cabinet-acme'))).toEqual([
      expect.stringMatching(/devices\[1\] \(cabinet-1\)\.profile: profile "cabinet-acme" not found/),
    ]);
    expect(problems(VALID.replace('profile: cabinet-ref', 'profile: dispenser-ref'))).toEqual([
      expect.stringMatching(/profile "dispenser-ref" describes a water-dispenser, but the device is a battery-cabinet/),
    ]);
  });

  it('reports problems inside a vendor profile with the profile file and its key path', () => {
    mkdirSync(join(dir.path, 'profiles'));
    write('id: cabinet-acme\nkind: battery-cabinet\nvendor: Acme\nmodel: X\npoints:\n  temp: { address: 1, type: int17 }\n', 'profiles/cabinet-acme.yaml');
    expect(problems(VALID.replace('profile: cabinet-ref', 'profile: cabinet-acme'))).toEqual([
      expect.stringMatching(/profiles\/cabinet-acme\.yaml:6: points\.temp\.type: must be one of "bool", "int16"/),
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('station:\n  id: x\n  name: [unclosed\ncloud: {}\n')).toEqual([expect.stringMatching(/station\.yaml:\d+: YAML: /)]);
    expect(problems('station:\n  id: a\nstation:\n  id: b\n')).toEqual([expect.stringMatching(/station\.yaml:3: YAML: Map keys must be unique/)]);
  });

  it('reports a missing file and a file that is not a mapping', () => {
    expect(() => loadStationConfig(join(dir.path, 'nope.yaml'))).toThrow(/nope\.yaml: file not found/);
    expect(problems('- just\n- a list\n')).toEqual([expect.stringMatching(/expected a mapping of keys at the top level/)]);
  });
});
