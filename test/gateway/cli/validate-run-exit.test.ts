import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distEntry, runNode } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * The compiled CLI as systemd runs it (global-setup builds dist/): a station file that `run`
 * cannot start from is exit 2 from `validate` and from `run` alike, one line per problem and all
 * of them at once. Exit 1 would have systemd restart the gateway in a loop.
 */

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('station-validate-');
  mkdirSync(join(dir.path, 'profiles'));
  // A vendor profile with a mistake on its line 6.
  writeFileSync(join(dir.path, 'profiles', 'cabinet-acme.yaml'), 'id: cabinet-acme\nkind: battery-cabinet\nvendor: Acme\nmodel: X\npoints:\n  temp: { address: 1, type: int17 }\n');
  writeFileSync(join(dir.path, 'keys.json'), '{"keys": []}');
});
afterAll(() => dir?.remove());

const gateway = distEntry('gateway', 'cli', 'station-gateway.js');

async function cli(command: 'run' | 'validate', text: string): Promise<{ code: number | null; lines: string[] }> {
  const file = join(dir.path, 'bad.yaml');
  writeFileSync(file, text);
  const p = runNode(gateway, [command, '--config', file], { cwd: dir.path });
  const { code } = await p.exited;
  return { code, lines: p.output().trim().split('\n') };
}

const TYPO = `station:
  id: st-0001
  timezone: Asia/Shanghia
cloud:
  url: mqtt://127.0.0.1:1
storage:
  path: data/gateway.db
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: 1 } }
`;

const MANY = `station:
  id: st-0001
  timezone: Asia/Shanghia
cloud:
  url: mqtt://127.0.0.1:1
storage:
  path: data/gateway.db
access: { trustedKeys: keys.json }
devices:
  - id: cabinet-1
    kind: battery-cabinet
    profile: cabinet-acme
    transport: { type: modbus-rtu, path: tty/rs485, unitId: 2 }
  - id: water-1
    kind: water-dispenser
    profile: dispenser-acme
    transport: { type: modbus-rtu, path: tty/rs485, unitId: 2 }
  - id: occupancy-1
    kind: occupancy
    profile: occupancy-ref
    transport: { type: modbus-rtu, path: tty/rs485, unitId: "3" }
`;

describe('station-gateway validate and run on a file run cannot start from', () => {
  it('a misspelt time zone: exit 2 from both, not RangeError and exit 1 from run', async () => {
    for (const command of ['validate', 'run'] as const) {
      const { code, lines } = await cli(command, TYPO);
      expect({ command, code, lines }).toEqual({
        command,
        code: 2,
        lines: [expect.stringMatching(/bad\.yaml:3: station\.timezone: unknown time zone "Asia\/Shanghia" \(did you mean Asia\/Shanghai\?\)/), '1 problem in the configuration'],
      });
    }
  });

  it('every kind of problem in one round, one line each, from validate and from run alike', async () => {
    const expected = [
      expect.stringMatching(/bad\.yaml:3: station\.timezone: unknown time zone "Asia\/Shanghia"/),
      expect.stringMatching(/bad\.yaml:16: devices\[1\] \(water-1\)\.profile: profile "dispenser-acme" not found/),
      expect.stringMatching(/bad\.yaml:17: devices\[1\] \(water-1\)\.transport\.unitId: water-1 and cabinet-1 are both unit 2 on tty\/rs485 \(one RS-485 bus\): each device there needs its own unitId$/),
      expect.stringMatching(/bad\.yaml:21: devices\[2\] \(occupancy-1\)\.transport\.unitId: must be a number, not string "3"$/),
      expect.stringMatching(/keys\.json: keys: must be a non-empty array of public keys \(JWKS\)$/),
      expect.stringMatching(/profiles\/cabinet-acme\.yaml:6: points\.temp\.type: must be one of "bool"/),
      '6 problems in the configuration',
    ];
    for (const command of ['validate', 'run'] as const) {
      const { code, lines } = await cli(command, MANY);
      expect({ command, code, lines }).toEqual({ command, code: 2, lines: expected });
    }
  });

  it('a YAML syntax error: one clean line with its line number, no dangling colon', async () => {
    const { code, lines } = await cli('validate', 'station:\n  id: st-0001\n  name: [unclosed\ncloud: {}\n');
    expect(code).toBe(2);
    expect(lines).toEqual([`${dir.path}/bad.yaml:4: YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (column 1)`, '1 problem in the configuration']);
  });
});
