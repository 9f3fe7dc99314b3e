#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { startStationSimulator, UnsimulatedDeviceError } from '../station-simulator.js';

const USAGE = `Usage: station-sim station --config FILE [--seed N]

Simulates every device that the station file names, on the addresses it names:
Modbus devices on TCP listeners, serial devices on pseudo-terminals linked at the
configured paths (the gateway opens them as it would a USB adapter). Runs until
Ctrl-C or SIGTERM.

Options:
  -c, --config FILE   station configuration (YAML)
      --seed N        random seed for device behaviour (default 1): same seed, same run
  -h, --help          show this help`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`station-sim: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] !== 'station' || !values.config) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) {
    process.stderr.write('station-sim: --seed must be an integer\n');
    return 2;
  }
  let station;
  try {
    // The simulator needs no secrets: do not insist that the broker's key files exist here.
    station = loadStationConfig(values.config, { checkFiles: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 2;
  }
  let sim;
  try {
    sim = await startStationSimulator(station, { seed });
  } catch (err) {
    if (err instanceof UnsimulatedDeviceError) {
      process.stderr.write(`station-sim: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  process.stdout.write(`simulating station ${station.config.station.id} (seed ${seed}):\n`);
  for (const d of sim.devices) process.stdout.write(`  ${d.id.padEnd(14)} ${d.kind.padEnd(16)} ${d.address}\n`);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`station-sim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
