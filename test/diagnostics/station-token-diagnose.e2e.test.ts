import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTokenStation, type TokenStation } from '../helpers/token-station.js';

/*
 * A real `station-gateway run` answers cmd/doctor and cmd/logs sent by `station-token send --act
 * diagnose` (MQTT 3.1.1, replyTo in the payload), and refuses a worker's token for them.
 */

const STATION = 'diag-cli-1';
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: TokenStation | undefined;
let keys: IssuerKeyFiles;

beforeAll(async () => {
  dir = tempDir('diag-cli-');
  broker = await startEmbeddedBroker({ port: 0 });
  keys = await writeIssuerKeyFiles(join(dir.path, 'keys'), 'diag-cli-key');
  station = await startTokenStation({ dir: dir.path, brokerUrl: broker.url, station: STATION, trustedKeysFile: keys.trustedKeysFile, seed: 4 });
}, 60_000);

afterAll(async () => {
  await station?.stop();
  await broker?.close();
  dir?.remove();
});

async function send(...extra: string[]): Promise<{ code: number | null; reply: Record<string, any> }> {
  const p = runNode(distEntry('simulators', 'cli', 'station-token.js'), ['send', '--key', keys.privateKeyFile, '--broker', broker.url, '--station', STATION, '--act', 'diagnose', ...extra]);
  const { code } = await p.exited;
  const line = p.output().split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no reply printed:\n${p.output()}`);
  return { code, reply: JSON.parse(line) as Record<string, any> };
}

describe('station-token send --act diagnose', () => {
  it('gets the doctor checks with an operator token (res and role default to the station and operator)', async () => {
    const { code, reply } = await send('--cmd', 'doctor');
    expect(reply['ok'], JSON.stringify(reply)).toBe(true);
    assertContract('doctor-result', reply['result']);
    expect(reply['result'].devices[0]).toMatchObject({ id: 'cabinet-1', online: true });
    expect(code).toBe(0);
  });

  it('reads the usage log with filters', async () => {
    const { code, reply } = await send('--cmd', 'logs', '--type', 'gateway.*,device.*', '--limit', '10');
    expect(reply['ok'], JSON.stringify(reply)).toBe(true);
    assertContract('logs-result', reply['result']);
    expect(reply['result'].rows.map((r: { type: string }) => r.type)).toEqual(['gateway.started', 'device.online']);
    expect(code).toBe(0);
  });

  it('is refused for a worker token, and exits 1', async () => {
    const { code, reply } = await send('--cmd', 'logs', '--role', 'worker');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(code).toBe(1);
  });
});

describe('station-fleet logs and doctor', () => {
  const fleet = async (...args: string[]): Promise<{ code: number | null; out: string }> => {
    const p = runNode(distEntry('fleet', 'cli', 'station-fleet.js'), [...args, '--station', STATION, '--key', keys.privateKeyFile, '--broker', broker.url, '--sub', 'ops-anna']);
    const { code } = await p.exited;
    return { code, out: p.output() };
  };

  it('prints the station\'s doctor checks as doctor\'s table', async () => {
    const { code, out } = await fleet('doctor');
    expect(out).toMatch(new RegExp(`^${STATION} at \\d{4}-`));
    expect(out).toMatch(/check\s+result\s+detail/);
    expect(out).toMatch(/checks (passed|FAILED)/);
    expect([0, 1]).toContain(code);
  });

  it('fetches every page of the usage log, as CSV, and the request is in that log', async () => {
    const { code, out } = await fleet('logs', '--type', 'gateway.*,device.*,diagnostics.*', '--csv');
    expect(code, out).toBe(0);
    const lines = out.split('\n').filter((l) => l.length > 0 && !l.endsWith('rows from diag-cli-1'));
    expect(lines[0]).toBe('id,ts,type,device,delivered_at,data');
    expect(lines.slice(1).map((l) => l.split(',')[2])).toEqual(expect.arrayContaining(['gateway.started', 'device.online', 'diagnostics.requested']));
    // The doctor request of the test before, audited with who asked.
    expect(out).toMatch(/diagnostics\.requested.*ops-anna/);
  });
});
