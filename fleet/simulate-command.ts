import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../config/usage-error.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatProblem } from '../config/config-error.js';
import { loadTrustedKeys } from '../config/trusted-keys.js';
import { FleetRunner } from './fleet-runner.js';
import type { FleetRemoteConfig } from './simulated-config-agent.js';
import type { FleetUpdates } from './simulated-update-agent.js';
import { RELEASE_VERSION } from '../cloud-bridge/update-contract.js';
import { RELEASE_ARCHES, type ReleaseArch } from '../config/release-manifest.js';

export const SIMULATE_HELP = `Usage: station-fleet simulate --stations N --broker URL [options]

Many simulated stations in one process, each with its own MQTT connection (client id = station
id), publishing the contract through the gateway's own CloudBridge, alarm logic and event outbox
(in memory). Device values are synthetic: batteries charge and are swapped, water is drawn,
people come and go. Runs until Ctrl-C or SIGTERM; then every station says offline cleanly.

Options:
      --stations N         how many stations (ids fleet-00001, fleet-00002, ...)
      --broker URL         mqtt://host:port (or mqtts://) of the broker
      --faulty PCT         share of faulty stations, 0..100 (default 0): offline (Last Will),
                           critical (smoke), no ready batteries, hot cabinet (a slot at 63 °C)
      --seed S             same seed, same fleet and same faults (default 1)
      --processes P        split the fleet over P processes (default 1; see docs/console.md for
                           what one process carries)
      --rate N             stations connecting per second (default 500)
      --tick S             seconds between two steps of a station's devices (default 10)
      --prefix P           topic prefix (default stations)
      --username U         broker user for every station (--password-file FILE for its password)
      --config-keys FILE   take configuration pushed by station-fleet config push, through the
                           gateway's own agent, verified with this configuration-key file (JWKS)
      --state-dir DIR      where the stations keep their revisions (default a temporary folder)
      --gate-seconds S     the health gate of a pushed revision (default 5)
      --gate-fail PCT      share of stations, 0..100, whose devices do not come back after a push:
                           their gate fails and the revision is rolled back (default 0)
      --update-keys FILE   take software updates rolled out by station-fleet update: release
                           documents verified with this configuration-key file (JWKS) as the
                           gateway verifies them; the states of an update reported on S/update
                           (nothing is downloaded or installed: see docs/rollouts.md)
      --running-version V  the version the stations run before any update (default 0.1.0-fleet)
      --arch A             the stations' architecture: x64, arm64 or armhf (default arm64)
      --update-fail PCT    share of stations, 0..100, whose new version fails its trial: they
                           roll back with UPDATE_GATE_FAILED (default 0)
      --update-step-ms MS  the pause between two steps of an update (default 1500)`;

const OPTIONS = {
  stations: { type: 'string' },
  broker: { type: 'string' },
  faulty: { type: 'string' },
  seed: { type: 'string' },
  processes: { type: 'string' },
  offset: { type: 'string' },
  rate: { type: 'string' },
  tick: { type: 'string' },
  prefix: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  'config-keys': { type: 'string' },
  'state-dir': { type: 'string' },
  'gate-seconds': { type: 'string' },
  'gate-fail': { type: 'string' },
  'update-keys': { type: 'string' },
  'running-version': { type: 'string' },
  arch: { type: 'string' },
  'update-fail': { type: 'string' },
  'update-step-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function releaseArch(text: string | undefined): ReleaseArch {
  if (text === undefined) return 'arm64';
  if (!(RELEASE_ARCHES as readonly string[]).includes(text)) throw new UsageError(`--arch must be one of ${RELEASE_ARCHES.join(', ')}, not "${text}"`);
  return text as ReleaseArch;
}

function runningVersion(text: string): string {
  if (!RELEASE_VERSION.test(text)) throw new UsageError(`--running-version must be a version such as 0.1.0, not "${text}"`);
  return text;
}

/** `station-fleet simulate ...`; resolves with the exit code. */
export async function runSimulateCommand(argv: string[]): Promise<number> {
  let values;
  let settings;
  try {
    values = parseCommandLine({ args: argv, options: OPTIONS }).values;
    if (values.help) {
      process.stdout.write(`${SIMULATE_HELP}\n`);
      return 0;
    }
    const broker = values.broker;
    if (!broker || !/^(mqtts?|wss?):\/\//.test(broker)) throw new UsageError('--broker must be a URL such as mqtt://127.0.0.1:1883');
    settings = {
      broker,
      stations: required(integerOption(values.stations, 'stations', 1, 200_000), 'stations'),
      faultyPercent: integerOption(values.faulty, 'faulty', 0, 100) ?? 0,
      seed: integerOption(values.seed, 'seed', 0, 2 ** 32 - 1) ?? 1,
      processes: integerOption(values.processes, 'processes', 1, 64) ?? 1,
      offset: integerOption(values.offset, 'offset', 0, 10_000_000) ?? 0,
      connectRate: integerOption(values.rate, 'rate', 1, 100_000) ?? 500,
      tickSeconds: integerOption(values.tick, 'tick', 1, 3600) ?? 10,
      gateSeconds: integerOption(values['gate-seconds'], 'gate-seconds', 1, 3600) ?? 5,
      gateFailPercent: integerOption(values['gate-fail'], 'gate-fail', 0, 100) ?? 0,
      updateFailPercent: integerOption(values['update-fail'], 'update-fail', 0, 100) ?? 0,
      updateStepMs: integerOption(values['update-step-ms'], 'update-step-ms', 0, 600_000) ?? 1500,
      arch: releaseArch(values.arch),
      ...(values['running-version'] !== undefined ? { version: runningVersion(values['running-version']) } : {}),
    };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError('station-fleet simulate', err.message, SIMULATE_HELP);
  }
  if (settings.processes > 1) return runSplit(argv, settings.stations, settings.offset, settings.processes);

  let remoteConfig: FleetRemoteConfig | undefined;
  let updates: FleetUpdates | undefined;
  const keysFile = values['config-keys'];
  const updateKeysFile = values['update-keys'];
  const stateDir = keysFile || updateKeysFile ? (values['state-dir'] ?? mkdtempSync(join(tmpdir(), 'station-fleet-'))) : '';
  if (keysFile || updateKeysFile) {
    try {
      if (keysFile) remoteConfig = { keys: await loadTrustedKeys(keysFile), stateDir, gateSeconds: settings.gateSeconds };
      if (updateKeysFile) updates = { keys: await loadTrustedKeys(updateKeysFile), stateDir, arch: settings.arch, stepMs: settings.updateStepMs };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return 2;
    }
  }
  const runner = new FleetRunner({
    ...settings,
    remoteConfig,
    updates,
    ...(values.prefix ? { topicPrefix: values.prefix } : {}),
    ...(values.username ? { username: values.username } : {}),
    ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
  });
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`fleet: ${settings.stations} stations from #${settings.offset + 1} on ${settings.broker}, ${settings.faultyPercent}% faulty, seed ${settings.seed}`);
  runner.start();
  const report = (): void => {
    const s = runner.status();
    out(`fleet: ${s.started}/${s.stations} started, ${s.connected} connected, ${s.crashed} crashed on purpose, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
  };
  const timer = setInterval(report, 5000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  report();
  await runner.stop();
  out('fleet stopped');
  return 0;
}

/** The same fleet over P child processes, each a slice planned with its offset. */
async function runSplit(argv: string[], stations: number, offset: number, processes: number): Promise<number> {
  const entry = fileURLToPath(new URL('./cli/station-fleet.js', import.meta.url));
  const rest = stripOptions(argv, ['--stations', '--offset', '--processes']);
  const per = Math.ceil(stations / processes);
  const children: ChildProcess[] = [];
  for (let p = 0; p < processes && p * per < stations; p++) {
    const count = Math.min(per, stations - p * per);
    const child = spawn(process.execPath, [entry, 'simulate', ...rest, '--stations', String(count), '--offset', String(offset + p * per)], { stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
  }
  const exits = children.map((c) => new Promise<number>((resolve) => c.once('exit', (code) => resolve(code ?? 1))));
  const stop = (): void => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const codes = await Promise.all(exits);
  return codes.every((c) => c === 0) ? 0 : 1;
}

function stripOptions(argv: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = a.split('=')[0] as string;
    if (!names.includes(name)) out.push(a);
    else if (!a.includes('=')) i++;
  }
  return out;
}
