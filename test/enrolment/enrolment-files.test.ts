import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, ConfigError } from '../../config/config-error.js';
import { loadServiceFile } from '../../fleet/enrolment/service-file.js';
import { runFleetEnrolCommand } from '../../fleet/enrolment/enrol-command.js';
import { loadClaimFile } from '../../gateway/enrolment/claim-file.js';
import { runEnrolCommand } from '../../gateway/enrolment/enrol-command.js';
import { tempDir } from '../helpers/temp-dir.js';

/* The claim file and the service file: what they may say, and every problem said at once with its line. */

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir('enrol-files-');
});
afterAll(() => dir.remove());

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => formatProblem(p).replace(`${dir.path}/`, ''));
    throw err;
  }
  return [];
}

describe('the claim file', () => {
  it('resolves its paths against its own folder and fills in the defaults', () => {
    const file = join(dir.path, 'claim.yaml');
    writeFileSync(file, 'broker: { url: "mqtts://enrol.example.net:8884", ca: enrol-ca.crt }\nclaim: { id: batch-2026-11, secretFile: claim.secret }\nkeysDir: keys\nstationFile: /etc/station-gateway/station.yaml\n');
    expect(loadClaimFile(file)).toEqual({
      broker: { url: 'mqtts://enrol.example.net:8884', ca: join(dir.path, 'enrol-ca.crt'), protocolVersion: 5 },
      claim: { id: 'batch-2026-11', secretFile: join(dir.path, 'claim.secret') },
      hardwareIdFile: '/etc/machine-id',
      keysDir: join(dir.path, 'keys'),
      stationFile: '/etc/station-gateway/station.yaml',
      replyTimeoutSeconds: 60,
    });
  });

  it('refuses a plain-text broker, an inline secret, a claim id with a wildcard, unknown keys', () => {
    const file = join(dir.path, 'bad-claim.yaml');
    writeFileSync(file, 'broker: { url: "mqtt://enrol.example.net:1883", ca: ca.crt }\nclaim: { id: "batch/+", secretFile: s, secret: hunter2 }\nkeysDir: keys\nstationFile: s.yaml\nstationid: hz-1\n');
    expect(problems(() => loadClaimFile(file))).toEqual([
      'bad-claim.yaml:1: broker.url: must be mqtts://host:port: a claim\'s secret never crosses a link in the clear',
      'bad-claim.yaml:2: claim.id: letters, digits, . _ -, at most 64, no / + #',
      'bad-claim.yaml:2: claim.secret: secrets are never inline: put the password in a file and name it in claim.secretFile',
      'bad-claim.yaml:5: stationid: unknown key "stationid" (check its spelling and place)',
    ]);
  });

  it('makes `station-gateway enrol` exit 2 with the problems, before it connects anywhere', async () => {
    const err: string[] = [];
    expect(await runEnrolCommand(['--config', join(dir.path, 'bad-claim.yaml')], () => undefined, (l) => err.push(l))).toBe(2);
    expect(err).toHaveLength(4);
    expect(await runEnrolCommand([], () => undefined, () => undefined)).toBe(2);
  });
});

describe('the enrolment service file', () => {
  it('says every problem of the plans at once: a station in two plans, a key twice, no way to recognise a box, no template, a window backwards', () => {
    writeFileSync(join(dir.path, 'not-a-station.yaml'), 'hello: world\n');
    const file = join(dir.path, 'service.yaml');
    writeFileSync(
      file,
      `broker: { url: "mqtts://broker.example.net:8883", ca: ca.crt }
ca: { cert: ca.crt, key: ca.key }
stateFile: state.json
claims:
  batch-a:
    uses: once
    from: 2027-01-01T00:00:00Z
    until: 2026-01-01T00:00:00Z
    stations:
      - { hardwareId: hw-1, stationId: hz-1 }
      - { hardwareId: hw-1, stationId: hz-2, template: not-a-station.yaml }
  batch-b:
    uses: 3
    template: missing.yaml
    stations:
      - { code: ABCD-1234, stationId: hz-1 }
      - { stationId: hz-9 }
`,
    );
    expect(problems(() => loadServiceFile(file))).toEqual(['service.yaml:17: claims.batch-b.stations[1]: give hardwareId or code (or both): what the box is recognised by']);
    writeFileSync(file, readWithout(file, '      - { stationId: hz-9 }\n'));
    expect(problems(() => loadServiceFile(file))).toEqual([
      'service.yaml:8: claims.batch-a.until: must be after from',
      'service.yaml:10: claims.batch-a.stations[0]: no template: give the claim a template, or this station one',
      'service.yaml:11: claims.batch-a.stations[1]: hardwareId hw-1 is in this claim\'s plan twice',
      `service.yaml:11: claims.batch-a.stations[1].template: ${dir.path}/not-a-station.yaml is not a station file (no station: section)`,
      `service.yaml:14: claims.batch-b.template: cannot read ${dir.path}/missing.yaml (ENOENT)`,
      'service.yaml:16: claims.batch-b.stations[0].stationId: station hz-1 is in the plan of batch-a already',
    ]);
  });

  it('makes `station-fleet enrol ca init` refuse to overwrite a CA (exit 2), and an unknown verb a usage error', async () => {
    const ca = join(dir.path, 'fleet-ca');
    expect(await runFleetEnrolCommand(['ca', 'init', '--dir', ca])).toBe(0);
    expect(await runFleetEnrolCommand(['ca', 'init', '--dir', ca])).toBe(2);
    expect(await runFleetEnrolCommand(['ca', 'init'])).toBe(2);
    expect(await runFleetEnrolCommand(['launch'])).toBe(2);
  });
});

function readWithout(file: string, line: string): string {
  return readFileSync(file, 'utf8').replace(line, '');
}
