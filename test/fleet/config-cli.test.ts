import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadTrustedKeys } from '../../config/trusted-keys.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { stationYaml } from '../remote-config/remote-config-fixtures.js';
import { StationResponder } from './config-station-responder.js';

const CLI = distEntry('fleet/cli/station-fleet.js');
const STATIONS = Array.from({ length: 30 }, (_, i) => `cli-${String(i + 1).padStart(3, '0')}`);
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
const responders: StationResponder[] = [];

beforeAll(async () => {
  dir = tempDir('fleet-config-cli-');
  broker = await startEmbeddedBroker({ port: 0 });
  expect(fleet('config', 'keygen', '--out', 'keys').status).toBe(0);
});
afterAll(async () => {
  for (const r of responders) await r.stop();
  await broker?.close();
  dir?.remove();
});

/** For command lines refused before any connection: spawnSync blocks the broker in this process. */
const fleet = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir.path });

describe('station-fleet config', () => {
  it('keygen writes the signing key (0600) and the stations\' key file, and never overwrites a key', async () => {
    const made = fleet('config', 'keygen', '--out', 'keys-7', '--kid', 'fleet-config-7');
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('configuration key fleet-config-7:');
    expect(statSync(join(dir.path, 'keys-7/config.private.jwk.json')).mode & 0o777).toBe(0o600);
    expect([...(await loadTrustedKeys(join(dir.path, 'keys-7/config-keys.jwks.json'))).keys()]).toEqual(['fleet-config-7']);
    const again = fleet('config', 'keygen', '--out', 'keys-7');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^station-fleet config keygen: .*config\.private\.jwk\.json exists; a configuration key is never overwritten/);
  });

  it('refuses a wrong command line with exit 2: an unknown verb, a push without its key, a public key to sign with', () => {
    expect(fleet('config', 'frobnicate').status).toBe(2);
    const noKey = fleet('config', 'push', '--station', 'hz-1', '--file', 'x.yaml', '--revision', '1', '--broker', broker.url);
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toBe('station-fleet config push: --key config.private.jwk.json is required\n');
    const publicKey = fleet('config', 'push', '--station', 'hz-1', '--file', 'x.yaml', '--revision', '1', '--broker', broker.url, '--key', 'keys/config-keys.jwks.json');
    expect(publicKey.status).toBe(2);
    expect(publicKey.stderr).toContain('not an Ed25519 key');
    expect(fleet('config', 'push', '--station', 'Not_An_Id', '--file', 'x', '--revision', '1', '--key', 'k', '--broker', broker.url).stderr).toContain('is not a station id');
  });

  it('push to 30 stations, the operator\'s machine killed half-way: run again, it skips the stations done and signs the same documents', async () => {
    const keys = await loadTrustedKeys(join(dir.path, 'keys/config-keys.jwks.json'));
    for (const id of STATIONS) {
      const r = new StationResponder({ id, url: broker.url, dir: join(dir.path, 'stations'), keys });
      await r.start();
      responders.push(r);
    }
    const dataDir = join(dir.path, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dir.path, 'fleet.yaml'), stationYaml({ id: '{{station}}', dataDir: join(dataDir, '{{station}}') }));
    writeFileSync(join(dir.path, 'stations.txt'), `# the pilot group\n${STATIONS.join('\n')}\n`);
    const args = ['config', 'push', '--list', 'stations.txt', '--file', 'fleet.yaml', '--revision', '4', '--key', 'keys/config.private.jwk.json', '--broker', broker.url, '--concurrency', '1', '--timeout', '20'];
    const progress = join(dir.path, 'config-push-4.progress.jsonl');

    const first = runNode(CLI, args, { cwd: dir.path });
    const doneLines = (): number => (existsSync(progress) ? readFileSync(progress, 'utf8').split('\n').filter((l) => l.startsWith('{"station"')).length : 0);
    await waitFor(() => doneLines() >= 5, 30_000, 'five stations done');
    await first.kill();
    const doneBefore = doneLines();
    expect(doneBefore).toBeLessThan(STATIONS.length);

    const second = runNode(CLI, args, { cwd: dir.path });
    const { code } = await second.exited;
    expect(second.output()).toMatch(new RegExp(`resuming config-push-4\\.progress\\.jsonl: (\\d+) of 30 stations done already`));
    const resumedFrom = Number(/: (\d+) of 30 stations done already/.exec(second.output())?.[1]);
    expect(resumedFrom).toBeGreaterThanOrEqual(doneBefore);
    expect(second.output()).toMatch(/30\/30 done: \d+ applied, 0 rejected, 0 rolled back, 0 no report, \d+ done before/);
    expect(code).toBe(0);
    for (const r of responders) {
      expect(r.store.read()?.current.revision).toBe(4);
      // One document each, however many runs published it.
      expect(r.documents.size).toBe(1);
    }

    // Not spawnSync: the broker runs in this process and must keep answering.
    const status = runNode(CLI, ['config', 'status', '--list', 'stations.txt', '--broker', broker.url, '--wait', '5'], { cwd: dir.path });
    expect((await status.exited).code).toBe(0);
    expect(status.output()).toContain('runs: revision 4: 30\n');
  }, 90_000);
});
