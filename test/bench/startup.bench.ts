import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import type { StationSimulator } from '../../simulators/station-simulator.js';
import { packageRoot } from '../../config/package-root.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { reportBench } from './bench-report.js';

/*
 * Start-up of the demo station, as a restart after an update or a watchdog kill sees it: from
 * spawning the gateway process (the way `npm start` does, same entry, flags and arguments) to its
 * `station running` log line, and to its first message on a retained topic (S/status birth,
 * S/devices/<id>, S/alarms, S/availability) arriving at a subscriber on the same broker. The
 * broker and the simulators run in this process and stay up across rounds, the database is there
 * from a first, unmeasured round: what is measured is the gateway alone. Baseline in the same
 * run, round by round: a bare Node process (`node -e` printing a line), from spawn to that line.
 */

const { startEmbeddedBroker } = (await import(distEntry('cloud-bridge', 'embedded-broker.js'))) as typeof import('../../cloud-bridge/embedded-broker.js');
const { startStationSimulator } = (await import(distEntry('simulators', 'station-simulator.js'))) as typeof import('../../simulators/station-simulator.js');
const { loadStationConfig } = (await import(distEntry('config', 'load-station-config.js'))) as typeof import('../../config/load-station-config.js');
const { deriveDemoStation } = (await import(distEntry('gateway', 'cli', 'demo-station-file.js'))) as typeof import('../../gateway/cli/demo-station-file.js');
const { ensureDemoKeys } = (await import(distEntry('gateway', 'cli', 'demo-keys.js'))) as typeof import('../../gateway/cli/demo-keys.js');
const { GATEWAY_NODE_FLAGS } = (await import(distEntry('gateway', 'cli', 'gateway-node-flags.js'))) as typeof import('../../gateway/cli/gateway-node-flags.js');

/** The gateway's Node flags: the demo's; `STARTUP_BENCH_NODE_FLAGS` (space-separated) to compare others. */
const NODE_FLAGS = process.env['STARTUP_BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? GATEWAY_NODE_FLAGS;
/** Measured rounds (gateway and bare Node each), after one unmeasured round; `STARTUP_BENCH_ROUNDS` for more. */
const ROUNDS = Number(process.env['STARTUP_BENCH_ROUNDS'] || 5);
const RETAINED = /\/(status|devices\/[^/]+|alarms|availability)$/;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let watcher: MqttClient;
let stationFile: string;
let root: string;

beforeAll(async () => {
  dir = tempDir('bench-startup-');
  broker = await startEmbeddedBroker({ port: await freePort() });
  await ensureDemoKeys(join(dir.path, 'keys'));
  const derived = await deriveDemoStation(join(packageRoot(), 'config', 'demo-station.yaml'), dir.path);
  const station = loadStationConfig(derived.file, { cloudUrl: broker.url });
  stationFile = derived.file;
  root = `${station.config.cloud.topicPrefix}/${station.config.station.id}`;
  sim = await startStationSimulator(station, { seed: 1 });
  watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'bench-startup-watcher' });
  await watcher.subscribeAsync(`${root}/#`, { qos: 1 });
});

afterAll(async () => {
  await watcher?.endAsync(true).catch(() => undefined);
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

interface GatewayStart {
  runningMs: number;
  firstRetainedMs: number;
  firstRetainedTopic: string;
  statusOnlineMs: number;
}

/** One gateway start, measured from spawn; stopped in order (SIGTERM) before it resolves. */
async function startGateway(): Promise<GatewayStart> {
  let firstRetained: { at: number; topic: string } | undefined;
  let statusOnline: number | undefined;
  let spawnedAt = Number.POSITIVE_INFINITY;
  // Retained copies of the last round are delivered on subscribe only; live ones come after spawn.
  const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }): void => {
    const at = performance.now();
    if (packet.retain || at < spawnedAt || !RETAINED.test(topic)) return;
    firstRetained ??= { at, topic: topic.slice(root.length + 1) };
    if (topic === `${root}/status` && (JSON.parse(payload.toString('utf8')) as { online?: boolean }).online === true) statusOnline ??= at;
  };
  watcher.on('message', onMessage);
  spawnedAt = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, distEntry('gateway', 'cli', 'station-gateway.js'), 'run', '--config', stationFile, '--cloud-url', broker.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running: number | undefined;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    if (running === undefined && out.includes('"msg":"station running"')) running = performance.now();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  try {
    const deadline = Date.now() + 60_000;
    while (running === undefined || firstRetained === undefined || statusOnline === undefined) {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}) before it was up:\n${out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`the gateway was not up within 60 s:\n${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return { runningMs: running - spawnedAt, firstRetainedMs: firstRetained.at - spawnedAt, firstRetainedTopic: firstRetained.topic, statusOnlineMs: statusOnline - spawnedAt };
  } finally {
    watcher.off('message', onMessage);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 7000);
    await exited;
    clearTimeout(timer);
  }
}

/** A bare Node start: spawn to its first line on stdout. */
async function startBareNode(): Promise<number> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['-e', "console.log('up')"], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lineAt = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', () => resolve(performance.now()));
    child.once('error', reject);
  });
  await exited;
  return lineAt - spawnedAt;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

describe(`start-up of the demo station, median of ${ROUNDS} rounds`, () => {
  bench(
    'gateway start vs a bare Node start',
    async () => {
      // Unmeasured: creates and migrates the database, fills the page cache with the tree.
      await startGateway();
      await startBareNode();
      const gateway: GatewayStart[] = [];
      const bare: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        // Which goes first alternates, so both see the same moments of a shared machine.
        if (i % 2 === 0) {
          gateway.push(await startGateway());
          bare.push(await startBareNode());
        } else {
          bare.push(await startBareNode());
          gateway.push(await startGateway());
        }
      }
      console.log(`gateway node flags: ${NODE_FLAGS.join(' ') || '(none)'}`);
      for (const [i, g] of gateway.entries()) {
        console.log(
          `round ${i + 1}: station running ${g.runningMs.toFixed(0)} ms, first retained (${g.firstRetainedTopic}) ${g.firstRetainedMs.toFixed(0)} ms, status online ${g.statusOnlineMs.toFixed(0)} ms; bare node ${(bare[i] ?? NaN).toFixed(1)} ms`,
        );
      }
      const row = { bench: 'start-up, demo station', baselineName: 'bare Node start (node -e printing a line)', higherIsBetter: false };
      const bareMs = median(bare);
      reportBench({ ...row, figure: `process start → station running, median of ${ROUNDS}`, unit: 'ms', gateway: median(gateway.map((g) => g.runningMs)), baseline: bareMs });
      reportBench({ ...row, figure: `process start → first retained state at a subscriber, median of ${ROUNDS}`, unit: 'ms', gateway: median(gateway.map((g) => g.firstRetainedMs)), baseline: bareMs });
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
