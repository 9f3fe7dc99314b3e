import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { writeIssuerKeyFiles, type IssuerKeyFiles } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * `station-token send` is what scripts and crews use to drive a station: its exit code must tell
 * a refused command from a carried-out one. A real gateway process answers it over the embedded broker.
 */

const STATION = 'tok-cli-0001';
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let gateway: RunningProcess;
let trusted: IssuerKeyFiles;
let stranger: IssuerKeyFiles;

beforeAll(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  trusted = await writeIssuerKeyFiles(join(dir.path, 'trusted'), 'tok-cli-trusted');
  stranger = await writeIssuerKeyFiles(join(dir.path, 'stranger'), 'tok-cli-stranger');
  const configFile = join(dir.path, 'station.yaml');
  writeFileSync(
    configFile,
    `
station: { id: ${STATION} }
cloud: { url: ${broker.url}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: data/gateway.db }
access: { trustedKeys: ${trusted.trustedKeysFile}, clockTrust: system }
resources:
  cabinet-1: { device: cabinet-1 }
devices:
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 1 }, pollMs: 300 }
`,
  );
  sim = await startStationSimulator(loadStationConfig(configFile, { checkFiles: false }), { seed: 3 });
  gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  const recorder = await MqttRecorder.connect(broker.url);
  try {
    await recorder.waitFor(`stations/${STATION}/devices/cabinet-1`, (m) => m.body['online'] === true, 15_000);
  } finally {
    await recorder.close();
  }
});

afterAll(async () => {
  await gateway?.stop();
  await sim?.stop();
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
