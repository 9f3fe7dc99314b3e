import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { Recorder, tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * `station-gateway doctor` on the fleet's Mosquitto (issue 14), which forces a client's id to its
 * certificate's CN: with the gateway stopped, doctor's checks pass with the station's
 * certificate (the ACL keys on the CN, so its own client id changes nothing); with the gateway
 * running, doctor does not connect at all, because any connection with that certificate would
 * take over the gateway's session and fire its Last Will.
 */

const STATION = 'hz-doctor-1';
const S = `stations/${STATION}`;
const CLI = distEntry('gateway', 'cli', 'station-gateway.js');

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;
let config: string;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir('doctor-interop-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
  const { cert, key } = pki.client(STATION);
  config = join(dir.path, 'station.yaml');
  writeFileSync(
    config,
    `station: { id: ${STATION} }
cloud: { url: ${broker.url}, protocolVersion: 5, ca: ${pki.ca}, cert: ${cert}, key: ${key} }
storage: { path: data/gateway.db }
devices:
  - { id: occupancy-1, kind: occupancy, profile: occupancy-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${await freePort()}, unitId: 3 }, pollMs: 1000 }
`,
  );
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await broker?.stop();
  dir?.remove();
});

async function doctor(): Promise<string> {
  const p = runNode(CLI, ['doctor', '--config', config]);
  processes.push(p);
  await p.exited;
  return p.output();
}

describe('station-gateway doctor on Mosquitto 2 with the fleet ACL', () => {
  it('with the gateway stopped: reaches the broker and passes the ACL checks as the station', async () => {
    const out = await doctor();
    expect(out).toMatch(/^broker reachable +PASS/m);
    expect(out).toMatch(/^ACL subscribe +PASS +stations\/hz-doctor-1\/cmd\/\+ granted QoS 1/m);
    expect(out).toMatch(/^ACL publish +PASS/m);
  });

  it('beside a running gateway: does not connect, and the gateway stays online', async () => {
    const client = await tlsClient(broker, pki, 'cloud-backend', 5);
    const watcher = new Recorder(client);
    await client.subscribeAsync(`${S}/status`, { qos: 1 });
    try {
      const gateway = runNode(CLI, ['run', '--config', config]);
      processes.push(gateway);
      await watcher.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain, 20_000);
      await gateway.waitForOutput('"msg":"station-gateway ready"');
      const from = watcher.messages.length;

      const out = await doctor();
      await sleep(1000);
      expect(watcher.messages.slice(from)).toEqual([]);
      expect(gateway.output()).not.toContain('cloud connection lost');
      expect(out).toMatch(new RegExp(`^gateway running +WARN +pid ${gateway.child.pid}`, 'm'));
      expect(out).not.toMatch(/^broker reachable/m);
    } finally {
      await client.endAsync();
    }
  });
});
