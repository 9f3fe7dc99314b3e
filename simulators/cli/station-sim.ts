#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { integerOption, parseCommandLine, USAGE_EXIT_CODE, UsageError, writeUsageError } from '../../config/usage-error.js';
import { startHttpControl } from '../control/http-control.js';
import { stationCommandHelp, stationDeviceList } from '../control/command-help.js';
import { startLineControl } from '../control/stdin-control.js';
import { ScenarioError, loadScenarioFile, type Scenario } from '../scenario/scenario.js';
import { startSimulators, UnsimulatedDeviceError, type StationSimulator } from '../simulator-set.js';
import { startStationSimulator } from '../station-simulator.js';
import { HELP } from './sim-cli-help.js';
import { deviceSpecFromArgs, initialCommands, type SimArgs } from './sim-cli-device.js';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  id: { type: 'string' },
  tcp: { type: 'string' },
  'rtu-tcp': { type: 'string' },
  serial: { type: 'string' },
  pty: { type: 'string' },
  host: { type: 'string' },
  baud: { type: 'string' },
  unit: { type: 'string' },
  slots: { type: 'string' },
  smoke: { type: 'boolean' },
  tank: { type: 'string' },
  filter: { type: 'string' },
  leak: { type: 'boolean' },
  people: { type: 'string' },
  calm: { type: 'boolean' },
  doors: { type: 'string' },
  firmware: { type: 'string' },
  jammed: { type: 'string', multiple: true },
  'walk-through': { type: 'boolean' },
  terminator: { type: 'string' },
  fault: { type: 'string', multiple: true },
  do: { type: 'string', multiple: true },
  scenario: { type: 'string' },
  'baud-timing': { type: 'boolean' },
  'response-delay': { type: 'string' },
  'bits-per-char': { type: 'string' },
  'control-port': { type: 'string' },
  profile: { type: 'string' },
} as const;

const SUBCOMMANDS = new Set(['lock', 'scanner', 'cabinet', 'dispenser', 'occupancy', 'smoke', 'station']);

/** `--pty` with no path: parseArgs wants a value, so an empty one stands for "make one". */
function normaliseArgv(argv: string[]): string[] {
  return argv.flatMap((arg, i) => (arg === '--pty' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-')) ? ['--pty='] : [arg]));
}

async function main(argv: string[]): Promise<number> {
  // The fleet simulator runs whole stations' bridges, above the device simulators: its own tool now.
  if (argv[0] === 'fleet') return writeUsageError('station-sim', 'the fleet simulator is `station-fleet simulate` now, with the same options');
  let parsed;
  try {
    parsed = parseCommandLine({ args: normaliseArgv(argv), allowPositionals: true, options: OPTIONS });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError('station-sim', err.message, HELP['main'] ?? '');
  }
  const values = parsed.values as SimArgs;
  const sub = parsed.positionals[0];
  if (sub === undefined || !SUBCOMMANDS.has(sub)) {
    if (values.help && sub === undefined) {
      process.stdout.write(`${HELP['main'] ?? ''}\n`);
      return 0;
    }
    if (sub !== undefined) return writeUsageError('station-sim', `unknown device "${sub}"`, HELP['main'] ?? '');
    process.stderr.write(`${HELP['main'] ?? ''}\n`);
    return USAGE_EXIT_CODE;
  }
  if (values.help) {
    process.stdout.write(`${HELP[sub] ?? ''}\n`);
    return 0;
  }
  if (parsed.positionals.length > 1) {
    return writeUsageError('station-sim', `unexpected argument "${parsed.positionals[1] ?? ''}"`, HELP[sub] ?? '');
  }

  const cleanups: Array<() => void> = [];
  let sim: StationSimulator;
  let seed: number;
  let scenario: Scenario | undefined;
  let title: string;
  let controlPort: number;
  try {
    seed = integerOption(values.seed, 'seed', 0, 2 ** 32 - 1) ?? 1;
    const responseDelayMs = integerOption(values['response-delay'], 'response-delay', 0, 60_000);
    const bitsPerChar = integerOption(values['bits-per-char'], 'bits-per-char', 7, 12);
    controlPort = integerOption(values['control-port'], 'control-port', 0, 65535) ?? 0;
    const baudTiming = values['baud-timing'] ? { responseDelayMs, bitsPerChar } : false;
    if (values.scenario) scenario = loadScenarioFile(values.scenario);
    if (sub === 'station') {
      if (!values.config) throw new UsageError('station needs --config FILE');
      // The simulator needs no secrets: do not insist that the broker's key files exist here.
      const station = loadStationConfig(values.config, { checkFiles: false });
      sim = await startStationSimulator(station, { seed, baudTiming, walkThrough: values['walk-through'] });
      title = `station ${station.config.station.id}`;
    } else {
      const spec = deviceSpecFromArgs(
        sub,
        values,
        () => {
          const dir = mkdtempSync(join(tmpdir(), 'station-sim-'));
          cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
          return dir;
        },
        (line) => process.stdout.write(`notice: ${line}\n`),
      );
      sim = await startSimulators([spec], { seed, baudTiming });
      title = spec.id;
    }
  } catch (err) {
    for (const c of cleanups) c();
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return USAGE_EXIT_CODE;
    }
    if (err instanceof UsageError || err instanceof UnsimulatedDeviceError || err instanceof ScenarioError || err instanceof RangeError) {
      return writeUsageError('station-sim', err.message);
    }
    throw err;
  }

  const stopSim = async (): Promise<void> => {
    await sim.stop();
    for (const c of cleanups) c();
  };
  try {
    const device = sim.devices.length === 1 ? sim.devices[0] : undefined;
    const startup = [...(device ? initialCommands(sub, values).map((c) => `${device.id} ${c}`) : []), ...(values.do ?? [])];
    for (const command of startup) await sim.command(command);
  } catch (err) {
    process.stderr.write(`station-sim: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopSim();
    return 2;
  }

  let control;
  try {
    control = await startHttpControl(sim, { port: controlPort });
  } catch (err) {
    process.stderr.write(`station-sim: control API: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopSim();
    return 2;
  }

  const out = (text: string): boolean => process.stdout.write(`${text}\n`);
  out(`simulating ${title} (seed ${seed}${values['baud-timing'] ? ', baud timing' : ''}):`);
  for (const d of sim.devices) out(`  ${d.id.padEnd(14)} ${d.kind.padEnd(16)} ${d.address}`);
  for (const s of sim.skipped) out(`  ${s.id.padEnd(14)} not simulated: ${s.reason}`);
  out(`control: ${control.url}  (stdin: type "help")`);
  const stopStdin = startLineControl({
    input: process.stdin,
    output: process.stdout,
    run: (line) => sim.command(line),
    help: () => stationCommandHelp(sim),
    list: () => stationDeviceList(sim),
  });
  const run = scenario
    ? sim.play(scenario, { onStep: (o) => out(`scenario ${(o.atMs / 1000).toFixed(1)}s ${o.command}: ${o.ok ? 'ok' : 'error'}: ${o.result}`) })
    : undefined;
  if (run) void run.done.then(() => out('scenario done'));
  out('ready');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  run?.stop();
  stopStdin();
  await control.stop();
  await stopSim();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`station-sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
