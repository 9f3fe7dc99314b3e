#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { startDemoConsole } from './demo-console.js';
import { ensureDemoKeys } from './demo-keys.js';
import { applyMessage, emptyView, renderView } from './demo-status.js';

const USAGE = `Usage: npm start [-- --port N] [-- --config FILE]

Runs a whole demo station on this machine: the embedded MQTT broker on 127.0.0.1,
a simulator for every device of the station file, and the gateway as its own process.

  --port N       broker port (default 1883, or STATION_DEMO_PORT)
  --config FILE  station file (default config/demo-station.yaml)
  --ws-port N    the broker's MQTT over WebSocket port for the operator console (default: a free one)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, 'ws-port': { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = packageRoot();
  const port = Number(values.port ?? process.env['STATION_DEMO_PORT'] ?? 1883);
  const configFile = values.config ?? join(root, 'config', 'demo-station.yaml');

  let broker: EmbeddedBroker;
  try {
    broker = await startEmbeddedBroker({ port, wsPort: Number(values['ws-port'] ?? 0) });
  } catch (err) {
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(
      inUse ? `demo: port ${port} on 127.0.0.1 is taken (a Mosquitto running?). Try: npm start -- --port 18830\n` : `demo: broker failed: ${String(err)}\n`,
    );
    return 1;
  }

  // Before the config is read: the demo station trusts this key (access.trustedKeys).
  const keys = await ensureDemoKeys(join(root, '.demo', 'keys'));
  let station;
  try {
    station = loadStationConfig(configFile, { cloudUrl: broker.url });
  } catch (err) {
    await broker.close();
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  const stationId = station.config.station.id;
  const demoDir = dirname(station.config.storage.path);
  mkdirSync(demoDir, { recursive: true });

  let sim: StationSimulator;
  try {
    sim = await startStationSimulator(station, { seed: 1 });
  } catch (err) {
    await broker.close();
    process.stderr.write(`demo: simulators failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }

  const site = await startDemoConsole(root, broker.wsUrl, station.config.cloud.topicPrefix, stationId);
  const logFile = join(demoDir, 'gateway.log');
  const gateway = startGateway(configFile, broker.url, logFile);
  const shownLog = relative(process.cwd(), logFile) || logFile;
  const host = '127.0.0.1';

  process.stdout.write(
    [
      `Demo station ${stationId}: ${sim.devices.length} simulated devices, gateway pid ${gateway.pid ?? '?'}`,
      `  broker   ${broker.url} (embedded, MQTT 3.1.1, no authentication, loopback only)`,
      `  console  ${site.line}`,
      `  watch    mosquitto_sub -h ${host} -p ${broker.port} -t 'stations/#' -v`,
      `  logs     ${shownLog}`,
      `  unlock   node dist/simulators/cli/station-token.js send --key ${relative(process.cwd(), keys.privateKeyFile)} --broker ${broker.url} --station ${stationId} --res main-door --act unlock`,
      `  Ctrl-C stops everything.`,
      '',
    ].join('\n'),
  );

  const view = emptyView(stationId);
  const watcher = mqtt.connect(broker.url, { clientId: `demo-console-${process.pid}`, protocolVersion: 4 });
  watcher.on('connect', () => void watcher.subscribeAsync(`${station.config.cloud.topicPrefix}/${stationId}/#`, { qos: 1 }));
  let dirty = true;
  watcher.on('message', (topic, payload) => {
    if (applyMessage(view, topic, payload)) dirty = true;
  });

  const tty = process.stdout.isTTY;
  let drawn = 0;
  let lastPrint = 0;
  const draw = (): void => {
    if (!dirty) return;
    // On a terminal, redraw in place; in a log (CI, a pipe), print a block every 10 s at most.
    if (!tty && Date.now() - lastPrint < 10_000) return;
    const lines = renderView(view);
    if (tty && drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
    process.stdout.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
    lastPrint = Date.now();
    dirty = false;
  };
  const ticker = setInterval(draw, 1000);

  gateway.on('exit', (code, signal) => {
    if (stopping) return;
    dirty = true;
    drawn = 0;
    process.stdout.write(`\ngateway exited (${signal ?? `code ${code}`}); its Last Will now says offline. Ctrl-C to end the demo.\n`);
  });

  let stopping = false;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopping = true;
  clearInterval(ticker);
  process.stdout.write('\nstopping: gateway, simulators, broker…\n');
  await stopGateway(gateway);
  await watcher.endAsync(true).catch(() => undefined);
  await sim.stop();
  await site.close();
  await broker.close();
  process.stdout.write('demo stopped\n');
  return 0;
}

function startGateway(configFile: string, cloudUrl: string, logFile: string): ChildProcess {
  const entry = join(dirname(fileURLToPath(import.meta.url)), 'station-gateway.js');
  const out = createWriteStream(logFile, { flags: 'a' });
  // Its own process, so that killing it (even with -9) is a real crash the broker sees.
  // detached: a terminal's Ctrl-C reaches only the demo, which then stops the gateway in order.
  const child = spawn(process.execPath, [entry, 'run', '--config', configFile, '--cloud-url', cloudUrl], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return child;
}

async function stopGateway(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 7000);
  await exited;
  clearTimeout(timer);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
