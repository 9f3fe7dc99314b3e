import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { pidFilePath } from '../../../gateway/runtime/gateway-pid-file.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { writeFullStation, type FullStation } from '../../helpers/full-station.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * `station-gateway doctor` run by a crew while the gateway runs (issue 14), both as built
 * processes on the embedded broker: doctor notices the gateway (its pid file names a live
 * `station-gateway run`), says so, and neither opens its devices nor connects as the station, so
 * the gateway stays online (no Last Will, no reconnect). A pid file left by a killed gateway
 * does not fool it.
 */

const STATION = 'doctor-side-0001';
const S = `stations/${STATION}`;
const CLI = distEntry('gateway', 'cli', 'station-gateway.js');

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let station: FullStation;
let sim: StationSimulator;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  dir = tempDir('doctor-side-');
  broker = await startEmbeddedBroker({ port: 0 });
  station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['lock-1', 'cabinet-1'], metrics: true });
  sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 41 });
});

afterAll(async () => {
  for (const p of processes) await p.kill();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

async function doctor(): Promise<{ code: number | null; out: string }> {
  const p = runNode(CLI, ['doctor', '--config', station.configFile]);
  processes.push(p);
  const { code } = await p.exited;
  return { code, out: p.output() };
}

describe('station-gateway doctor beside a running gateway', () => {
  it('says a gateway is running and leaves it online; after a kill -9 it checks everything', async () => {
    const watcher = await MqttRecorder.connect(broker.url, `${S}/status`);
    try {
      const gateway = runNode(CLI, ['run', '--config', station.configFile]);
      processes.push(gateway);
      const birth = await watcher.waitFor(`${S}/status`, (m) => m.body['online'] === true && !m.retain, 15_000);
      await gateway.waitForOutput('"msg":"station-gateway ready"');
      const from = watcher.messages.length;

      const report = await doctor();
      await sleep(500);
      // The gateway was not disturbed: no Will, no second birth (a reconnect), still running.
      expect(watcher.messages.slice(from)).toEqual([]);
      expect(gateway.output()).not.toContain('cloud connection lost');
      expect(gateway.child.exitCode).toBeNull();

      expect(report.out).toMatch(new RegExp(`^gateway running +WARN +pid ${gateway.child.pid}, boot ${String(birth.body['bootId'])}`, 'm'));
      expect(report.out).toMatch(/^devices +WARN +not probed/m);
      expect(report.out).toMatch(/^broker \(gateway\) +PASS +the gateway reports its connection .* up/m);
      expect(report.out).not.toMatch(/^device lock-1/m);
      expect(report.out).not.toMatch(/^broker reachable/m);
      expect(report.code).toBe(0);

      // A killed gateway leaves its pid file behind; its pid is dead, so doctor probes again.
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      expect(existsSync(pidFilePath(station.dbFile))).toBe(true);
      const after = await doctor();
      expect(after.out).not.toMatch(/^gateway running/m);
      expect(after.out).toMatch(/^device cabinet-1 +PASS +answers in/m);
      expect(after.out).toMatch(/^broker reachable +PASS/m);
    } finally {
      await watcher.close();
    }
  });

  it('a clean stop removes the pid file', async () => {
    const gateway = runNode(CLI, ['run', '--config', station.configFile]);
    processes.push(gateway);
    await gateway.waitForOutput('"msg":"station-gateway ready"');
    expect(existsSync(pidFilePath(station.dbFile))).toBe(true);
    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code).toBe(0);
    expect(existsSync(pidFilePath(station.dbFile))).toBe(false);
  });
});
