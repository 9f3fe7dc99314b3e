import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeBundle, makeUpdateKeys, type UpdateKeys } from './update-fixtures.js';

/* The command line of station-fleet update, refused before anything is published (exit 2). */

const CLI = distEntry('fleet/cli/station-fleet.js');
let dir: ReturnType<typeof tempDir>;
let keys: UpdateKeys;
let bundle: string;

beforeAll(async () => {
  dir = tempDir('update-cli-');
  keys = await makeUpdateKeys(join(dir.path, 'keys'));
  bundle = makeBundle(dir.path, '0.2.0', 'arm64', keys.releaseKeyFile);
});
afterAll(() => dir?.remove());

const fleet = (...args: string[]) => spawnSync(process.execPath, [CLI, 'update', ...args], { encoding: 'utf8', cwd: dir.path });
const ok = ['--station', 'hz-1', '--version', '0.2.0', '--broker', 'mqtt://127.0.0.1:1'];

describe('station-fleet update', () => {
  it('--help says how to roll out, stop, resume and roll back', () => {
    const help = fleet('--help');
    expect(help.status).toBe(0);
    for (const option of ['--bundle FILE', '--base-url URL', '--rings LIST', '--failure-threshold T', '--timeout-seconds S', '--progress-file FILE', '--rollback-ring N', '--rollout ID']) expect(help.stdout).toContain(option);
  });

  it('refuses with exit 2 and one line what no station would take or no rollout can do', () => {
    const cases: Array<[string[], RegExp]> = [
      [[...ok, '--bundle', bundle, '--base-url', 'https://r.example.net'], /--key config\.private\.jwk\.json is required/],
      [[...ok, '--key', keys.publicKeysFile, '--bundle', bundle, '--base-url', 'https://r.example.net'], /not an Ed25519 key|a public key/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', bundle], /--base-url https:\/\/\.\.\. is required with --bundle/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'http://r.example.net'], /--base-url must be https/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r', '--rings', '1,10%'], /--rings must end with "rest"/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r', '--failure-threshold', 'lots'], /--failure-threshold must be a share/],
      [[...ok, '--key', keys.privateKeyFile], /--bundle FILE is required/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', join(dir.path, 'gateway.tgz'), '--base-url', 'https://r'], /is not named like a bundle/],
      [['--version', '0.2.0', '--broker', 'mqtt://127.0.0.1:1', '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r'], /--station ID or --list FILE is required/],
      [[...ok, '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r', '--rollout', 'no spaces please'], /--rollout must be/],
      [['--rollback-ring', '2', '--broker', 'mqtt://127.0.0.1:1', '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r'], /--rollback-ring needs --progress-file/],
    ];
    for (const [args, message] of cases) {
      const r = fleet(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^station-fleet update: /);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('a bundle of another version than --version is refused', () => {
    const r = fleet(...ok, '--version', '0.3.0', '--key', keys.privateKeyFile, '--bundle', bundle, '--base-url', 'https://r');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is a bundle of 0.2.0, not of 0.3.0');
  });
});
