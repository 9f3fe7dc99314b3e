#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig, type LoadedStation } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { stationCommandHelp, stationDeviceList } from '../../simulators/control/command-help.js';
import { startHttpControl, type HttpControl } from '../../simulators/control/http-control.js';
import { startLineControl } from '../../simulators/control/stdin-control.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { operatorPassLines, startDemoConsole } from './demo-console.js';
import { ensureDemoKeys } from './demo-keys.js';
import { startDemoRider, type DemoRider } from './demo-rider.js';
import { deriveDemoStation } from './demo-station-file.js';
import { applyMessage, emptyView, renderView } from './demo-status.js';
import { GATEWAY_NODE_FLAGS } from './gateway-node-flags.js';

const USAGE = `Usage: npm start [-- --port N] [-- --config FILE] [-- --dir DIR] [-- --no-rider]

Runs a whole demo station on this machine: the embedded MQTT broker on 127.0.0.1,
a simulator for every device of the station file, and the gateway as its own process.
Needs nothing but Node: the lock and the scanner are served on TCP as a serial device
server would (serial-tcp). Each run gets free simulator ports and its own state folder,
so two demos on two broker ports run side by side.

  --port N          broker port (default 1883, or STATION_DEMO_PORT)
  --config FILE     station file (default config/demo-station.yaml); the demo runs a copy of it
                    with free simulator ports and its files in the state folder
  --dir DIR         state folder: database, keys, gateway log, the derived station.yaml
                    (default .demo/<broker port>/)
  --ws-port N       the broker's MQTT over WebSocket port for the operator console (default: a free one)
  --control-port N  the simulators' control API port (default: a free one)
  --no-rider        no simulated rider at the cabinet: finish a swap by hand
                    (cabinet-1 slot N insert 20 48 when the empty slot opens, then slot M remove)

While it runs, type simulator commands (as for station-sim): cabinet-1 smoke on,
lock-1 door 1 open, water-1 leak on, scanner-1 scan <text>, help, devices.
Each answer starts ok: or error:.`;

async function main(): Promise<number> {
  let values;
  let port: number;
  let wsPort: number;
  let controlPort: number;
  try {
    values = parseCommandLine({
      options: {
        port: { type: 'string' },
        'ws-port': { type: 'string' },
        'control-port': { type: 'string' },
        config: { type: 'string' },
        dir: { type: 'string' },
        'no-rider': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
    port = integerOption(values.port ?? process.env['STATION_DEMO_PORT'], 'port', 0, 65535) ?? 1883;
    wsPort = integerOption(values['ws-port'], 'ws-port', 0, 65535) ?? 0;
    controlPort = integerOption(values['control-port'], 'control-port', 0, 65535) ?? 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError('demo', err.message, USAGE);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = packageRoot();
  const configFile = values.config ?? join(root, 'config', 'demo-station.yaml');

  let broker: EmbeddedBroker;
  try {
    broker = await startEmbeddedBroker({ port, wsPort });
  } catch (err) {
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    process.stderr.write(
      inUse ? `demo: port ${port} on 127.0.0.1 is taken (a Mosquitto running?). Try: npm start -- --port 18830\n` : `demo: broker failed: ${String(err)}\n`,
    );
    return 1;
  }

  // One folder per broker port: a second demo (another --port) keeps its own database and keys.
  const demoDir = resolve(values.dir ?? join(root, '.demo', String(broker.port)));
  mkdirSync(demoDir, { recursive: true });
  // Before the config is read: the demo station trusts this key (access.trustedKeys).
  const keys = await ensureDemoKeys(join(demoDir, 'keys'));

  let station: LoadedStation | undefined;
  let sim: StationSimulator | undefined;
  for (let attempt = 1; !sim; attempt++) {
    try {
      const derived = await deriveDemoStation(configFile, demoDir);
      station = loadStationConfig(derived.file, { cloudUrl: broker.url });
      sim = await startStationSimulator(station, { seed: 1 });
    } catch (err) {
      // A free port picked a moment ago may have been taken since: pick again, a few times.
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 3) continue;
      await broker.close();
      if (err instanceof ConfigError) {
        for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
        return 2;
      }
      process.stderr.write(`demo: simulators failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  if (!station) throw new Error('unreachable: simulators started without a station');
  const stationId = station.config.station.id;
  const stationFile = station.file;

  const site = await startDemoConsole(root, broker.wsUrl, station.config.cloud.topicPrefix, stationId);
  const logFile = join(demoDir, 'gateway.log');
  const gateway = startGateway(stationFile, broker.url, logFile);
  // Short when under the working directory, as typed there; whole otherwise.
  const shown = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r && !r.startsWith('..') ? r : p;
  };
  const host = '127.0.0.1';

  let control: HttpControl;
  try {
    control = await startHttpControl(sim, { port: controlPort });
  } catch (err) {
    process.stderr.write(`demo: control API: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopGateway(gateway);
    await sim.stop();
    await site.close();
    await broker.close();
    return 1;
  }
  const cabinets = sim.devices.filter((d) => d.kind === 'battery-cabinet').map((d) => d.id);
  const riding = !values['no-rider'] && cabinets.length > 0;
  const token = `node dist/simulators/cli/station-token.js send --key ${shown(keys.privateKeyFile)} --broker ${broker.url} --station ${stationId}`;

  process.stdout.write(
    [
      `Demo station ${stationId}: ${sim.devices.length} simulated devices, gateway pid ${gateway.pid ?? '?'}`,
      `  broker   ${broker.url} (embedded, MQTT 3.1.1, no authentication, loopback only)`,
      `  console  ${site.line}`,
      ...operatorPassLines(site, shown(keys.privateKeyFile), stationId),
      ...(site.phone
        ? [
            `  phone    ${site.phone}  (a worker's phone page: it shows its KEY; issue it a pass with`,
            `           node dist/simulators/cli/station-token.js pass --key ${shown(keys.privateKeyFile)} --phone-key KEY --sub w-demo --station ${stationId} --grant unlock:main-door`,
            `           and open ${site.phone}#pass=PASS; its rolling code opens the door at the scanner, offline too)`,
          ]
        : []),
      `  watch    mosquitto_sub -h ${host} -p ${broker.port} -t 'stations/#' -v`,
      `  logs     ${shown(logFile)}; usage log: node dist/gateway/cli/station-gateway.js log -c ${shown(stationFile)} --since 1h`,
      `  unlock   ${token} --res main-door --act unlock`,
      ...(cabinets[0]
        ? [
            `  swap     ${token} --res ${cabinets[0]} --act swap`,
            riding
              ? `           a simulated rider puts a battery into the slot that opens and takes the one offered (--no-rider: by hand)`
              : `           when the empty slot's door opens: ${cabinets[0]} slot N insert 20 48; when the offered one opens: ${cabinets[0]} slot M remove`,
          ]
        : []),
      `  control: ${control.url}  (or type simulator commands here: help, cabinet-1 smoke on, lock-1 door 1 open)`,
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
    if (tty && drawn > 0 && lines.length === drawn) {
      // Line by line and back to the saved cursor: a command half typed on the line below the
      // view (the terminal echoes it; the demo cannot see it before Enter) is left as typed.
      process.stdout.write(`\x1b7\r\x1b[${drawn}A${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b8`);
    } else {
      if (tty && drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    drawn = lines.length;
    lastPrint = Date.now();
    dirty = false;
  };
  const ticker = setInterval(draw, 1000);

  // Answers and the rider's lines go below the live view; the view then redraws under them.
  const say = (text: string): void => {
    process.stdout.write(`${text}\n`);
    drawn = 0;
    dirty = true;
  };
  const answers = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      say(chunk.toString('utf8').replace(/\n$/, ''));
      callback();
    },
  });
  const simulators = sim;
  const stopStdin = startLineControl({
    input: process.stdin,
    output: answers,
    run: (line) => simulators.command(line),
    help: () => stationCommandHelp(simulators),
    list: () => stationDeviceList(simulators),
  });
  const rider: DemoRider | undefined = riding ? startDemoRider({ sim, cabinets, say }) : undefined;

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
  rider?.stop();
  stopStdin();
  process.stdout.write('\nstopping: gateway, simulators, broker…\n');
  await control.stop();
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
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, entry, 'run', '--config', configFile, '--cloud-url', cloudUrl], {
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
