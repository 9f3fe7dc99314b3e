import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { RevisionStore } from '../../gateway/remote-config/revision-store.js';
import { stageAndValidate } from '../../gateway/remote-config/validate-revision.js';
import { verifyConfigDocument } from '../../gateway/remote-config/verify-config-document.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeFleetKey, sign, stationYaml, type FleetKey } from './remote-config-fixtures.js';

const STATION = 'hz-0001';
const REF_PROFILE = readFileSync(join(packageRoot(), 'config/profiles/cabinet-ref.yaml'), 'utf8');
let dir: ReturnType<typeof tempDir>;
let key: FleetKey;
let store: RevisionStore;
let dataDir: string;

beforeAll(async () => {
  dir = tempDir('remote-validate-');
  key = await makeFleetKey(join(dir.path, 'keys'));
  store = new RevisionStore(join(dir.path, 'state'));
  dataDir = join(dir.path, 'data');
  mkdirSync(dataDir);
});
afterAll(() => dir.remove());

async function validate(revision: number, files: Record<string, string>) {
  const document = await verifyConfigDocument(await sign(key, STATION, revision, files), { stationId: STATION, keys: key.stationKeys, currentRevision: undefined });
  return stageAndValidate(document, store, STATION);
}

/** `station-gateway validate` on the same files at the same place: its stderr, one line per problem. */
function validateCli(revision: number, files: Record<string, string>): string[] {
  const staged = store.stage(revision, files, 'x');
  const run = spawnSync(process.execPath, [distEntry('gateway/cli/station-gateway.js'), 'validate', '--config', staged.stationFile], { encoding: 'utf8' });
  store.discard(staged);
  expect(run.status).toBe(2);
  return run.stderr.trim().split('\n').slice(0, -1);
}

describe('a pushed revision, validated', () => {
  it('that validate accepts: kept in its revision folder, with the profile it carries', async () => {
    const result = await validate(1, { 'station.yaml': stationYaml({ id: STATION, dataDir }), 'profiles/cabinet-ref.yaml': REF_PROFILE });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.station.file).toBe(join(store.dirOf(1), 'station.yaml'));
    expect(result.station.config.station.id).toBe(STATION);
    expect(result.station.profiles.get('cabinet-1')?.model).toBe('CAB-REF');
    expect(existsSync(result.staged.stationFile)).toBe(true);
  });

  it('that validate refuses: each problem exactly as station-gateway validate prints it, the folder removed', async () => {
    const files = {
      'station.yaml': stationYaml({ id: STATION, dataDir }).replace('resources:\n', 'resources:\n  spare: { device: nothing-here }\n'),
      // The pushed profile, not the shipped one, is the one checked: its own file and line.
      'profiles/cabinet-ref.yaml': REF_PROFILE.replace('type: int16, scale: 0.1', 'type: int17, scale: 0.1'),
    };
    const result = await validate(2, files);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('CONFIG_INVALID');
    expect(result.problems).toEqual([
      `${join(store.dirOf(2), 'station.yaml')}:8: resources.spare.device: no device with id "nothing-here" in devices`,
      expect.stringMatching(/profiles\/cabinet-ref\.yaml:15: points\.cabinetTemp\.type: must be one of /),
    ]);
    expect(existsSync(store.dirOf(2))).toBe(false);
    expect(result.problems).toEqual(validateCli(2, files));
  });

  it('for another station in its file, or naming files inside the revision store: refused with the line', async () => {
    const wrongId = await validate(3, { 'station.yaml': stationYaml({ id: 'hz-0002', dataDir }) });
    const file = join(store.dirOf(3), 'station.yaml');
    expect(wrongId).toEqual({ ok: false, code: 'CONFIG_INVALID', problems: [`${file}:2: station.id: must be "hz-0001": the document is for this station, the file says "hz-0002"`] });

    // validate accepts a relative database path (its folder exists); a pushed file must not: the
    // database would live in a folder a later revision prunes.
    const relative = stationYaml({ id: STATION, dataDir }).replace(join(dataDir, 'gateway.db'), 'gateway.db');
    const result = await validate(4, { 'station.yaml': relative });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      `${join(store.dirOf(4), 'station.yaml')}:6: storage.path: ${join(store.dirOf(4), 'gateway.db')} is inside the station's revision store, which a later revision prunes; in a pushed station file, give the database an absolute path`,
    ]);
  });
});
