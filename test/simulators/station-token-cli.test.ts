import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTokenStation, type TokenStation } from '../helpers/token-station.js';

/*
 * `station-token send` is what scripts and crews use to drive a station: its exit code must tell
 * a refused command from a carried-out one. A real gateway process answers it over the embedded broker.
 */

const STATION = 'tok-cli-0001';
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: TokenStation | undefined;
let trusted: IssuerKeyFiles;
let stranger: IssuerKeyFiles;

beforeAll(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  trusted = await writeIssuerKeyFiles(join(dir.path, 'trusted'), 'tok-cli-trusted');
  stranger = await writeIssuerKeyFiles(join(dir.path, 'stranger'), 'tok-cli-stranger');
  station = await startTokenStation({ dir: dir.path, brokerUrl: broker.url, station: STATION, trustedKeysFile: trusted.trustedKeysFile, seed: 3 });
});

afterAll(async () => {
  await station?.stop();
  await broker?.close();
  dir?.remove();
});

function send(keyFile: string): Promise<{ code: number | null; out: string }> {
  const p = runNode(distEntry('simulators', 'cli', 'station-token.js'), [
    'send', '--key', keyFile, '--broker', broker.url, '--station', STATION,
    '--res', 'cabinet-1', '--act', 'operate', '--role', 'operator', '--slot', '2', '--enabled', 'false',
  ]);
  return p.exited.then(({ code }) => ({ code, out: p.output() }));
}

describe('station-token send', () => {
  it('exits 0 when the gateway carried the command out', async () => {
    const { code, out } = await send(trusted.privateKeyFile);
    expect(out).toContain('"ok":true');
    expect(code).toBe(0);
  });

  it('exits 1 when the gateway refused it, and still prints the reply', async () => {
    const { code, out } = await send(stranger.privateKeyFile);
    expect(out).toContain('"ok":false');
    expect(out).toContain('UNKNOWN_KEY');
    expect(code).toBe(1);
  });
});
