import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStation, loadStationConfig, type LoadOptions, type LoadedStation } from '../../config/load-station-config.js';
import { createLogger } from '../runtime/logger.js';
import { parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { LOG_FILTER_OPTIONS } from '../../config/log-filter-options.js';
import { gatewayVersion } from '../runtime/package-info.js';
import { EXIT } from './exit-codes.js';
import { reloadOnHangup } from '../ops/reload-on-hangup.js';

/*
 * Each command's own code is imported when that command runs: `run` is what a box starts on every
 * boot and keeps resident, and it needs neither the doctor's checks nor enrolment's CSR code nor
 * the log reader; validate and log need no runtime (docs/benchmarks.md, memory and start-up).
 */

const USAGE = `Usage: station-gateway <command> [options]

Commands:
  run --config FILE [--cloud-url URL]   run the station described by FILE
  validate --config FILE                check FILE and the profiles it names, then exit
  log --config FILE [filters] [--csv]   print the usage log from the station's database
  doctor --config FILE                  check devices, broker, clock, disk and database; exit 1 on a failure
                                        (beside a running gateway: says so and leaves its ports and broker alone)
  enrol --config CLAIM_FILE             a new box's first start: make its key, get its certificate and station
                                        file with the claim (docs/enrolment.md; station-gateway enrol --help)

Options:
  -c, --config FILE    station configuration (YAML)
      --cloud-url URL  use this broker instead of cloud.url (bench and demo runs)
  log filters:
      --since WHEN     from this time on the station's clock: 2026-11-28, 2026-11-28T22:00;
                       with a zone: 2026-11-28T14:00Z; or back from now: 30m, 12h, 7d
      --until WHEN     before this time (same forms)
      --type TYPES     event types, comma-separated; a trailing * matches a prefix (access.*)
                       with --sessions: access, door, swap, water or occupancy
      --device ID      one device's events
      --sessions       usage sessions (swaps, water, doors, stays) instead of events
      --limit N        at most N rows
      --csv            comma-separated values with a header row, for a spreadsheet
      --utc            times in UTC, not the station's time zone (CSV is always ISO-8601 UTC)
  -h, --help           show this help
  -v, --version        print the version

Exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage.`;

/** The gateway gets this long to stop in order before it exits anyway (systemd's stop timeout is longer). */
const STOP_DEADLINE_MS = 5000;

/** One line per problem and a count, on stderr; a configuration problem exits 2. */
function reportConfigError(err: ConfigError): number {
  for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
  process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the configuration\n`);
  return EXIT.USAGE;
}

async function main(argv: string[]): Promise<number> {
  // enrol reads a claim file, not a station file, and has options of its own (enrol --help).
  if (argv[0] === 'enrol') {
    const { runEnrolCommand } = await import('../enrolment/enrol-command.js');
    return runEnrolCommand(argv.slice(1));
  }
  let parsed;
  try {
    parsed = parseCommandLine({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'cloud-url': { type: 'string' },
        ...LOG_FILTER_OPTIONS,
        csv: { type: 'boolean' },
        utc: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return writeUsageError('station-gateway', err.message, USAGE);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${gatewayVersion()}\n`);
    return EXIT.OK;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  if (command === 'enrol') {
    return writeUsageError('station-gateway', 'enrol takes its options after it: station-gateway enrol --config CLAIM_FILE', USAGE);
  }
  if (command !== 'run' && command !== 'validate' && command !== 'log' && command !== 'doctor') {
    return writeUsageError('station-gateway', `unknown command "${command}"`, USAGE);
  }
  if (!values.config) {
    return writeUsageError(`station-gateway ${command}`, '--config FILE is required');
  }

  let station: LoadedStation;
  try {
    const options = values['cloud-url'] ? { cloudUrl: values['cloud-url'] } : {};
    // run and validate check everything run meets at start, the trusted keys included, in one
    // round: a config run would refuse must be exit 2 from both, never exit 1 from run.
    station = command === 'run' || command === 'validate' ? await loadStation(values.config, options) : loadStationConfig(values.config, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return reportConfigError(err);
  }

  if (command === 'log') {
    try {
      const { since, until, type, device, sessions, limit, csv, utc } = values;
      const write = (line: string): void => void process.stdout.write(`${line}\n`);
      const { runLogCommand } = await import('./log-command.js');
      runLogCommand(station.config.storage.path, { since, until, type, device, sessions, limit, csv, utc }, write, new Date(), station.config.station.timezone);
      return EXIT.OK;
    } catch (err) {
      if (err instanceof UsageError) return writeUsageError('station-gateway log', err.message);
      process.stderr.write(`station-gateway log: ${(err as Error).message}\n`);
      return EXIT.FAILURE;
    }
  }

  if (command === 'doctor') {
    const { runDoctor } = await import('../ops/doctor/run-doctor.js');
    const report = await runDoctor(station);
    process.stdout.write(`${report.text}\n`);
    return report.ok ? EXIT.OK : EXIT.FAILURE;
  }

  if (command === 'validate') {
    const { config } = station;
    process.stdout.write(`${station.file}: ok (station ${config.station.id}, ${config.devices.length} devices)\n`);
    // What is off is not wrong: the optional roles a profile leaves out, said after ok, exit 0.
    for (const notice of station.notices ?? []) process.stdout.write(`${formatProblem(notice)}\n`);
    return EXIT.OK;
  }
  return run(station, values['cloud-url'] ? { cloudUrl: values['cloud-url'] } : {});
}

async function run(station: LoadedStation, overrides: LoadOptions): Promise<number> {
  // The process keeps the station's wall clock: opening and night hours read it from Date's local
  // time, without the 8 MB Intl.DateTimeFormat would leave resident (gateway/station/daily-window.ts).
  // Nothing else here reads local time; logs and records carry UTC instants.
  process.env['TZ'] = station.config.station.timezone;
  const log = createLogger(station.config.log.level);
  const version = gatewayVersion();
  // The on-site file may hand the station to the fleet (remoteConfig): the file in force is then a pushed revision.
  let restartFor: ((reason: string) => void) | undefined;
  const { ManagedStation } = await import('../runtime/managed-station.js');
  const managed = new ManagedStation({ onSiteFile: station.file, overrides, log, version, onRestartRequest: (reason) => restartFor?.(reason) });
  for (const notice of station.notices ?? []) log.info({ profile: notice.file }, `profile: ${notice.message}`);

  process.on('uncaughtException', (err) => {
    // State after an unexpected throw is unknown; exit and let systemd start a clean process.
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(EXIT.FAILURE);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(EXIT.FAILURE);
  });

  const stopped = new Promise<number>((resolve) => {
    /**
     * Stops in order within STOP_DEADLINE_MS, then resolves with the exit status. After a switch
     * `current` already names the next release: a stop that hangs must not keep it from starting.
     */
    const stopThen = (done: number, failed: number): void => {
      const deadline = setTimeout(() => {
        log.error({ deadlineMs: STOP_DEADLINE_MS }, 'stop took too long; exiting anyway');
        resolve(done);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      managed.stop().then(
        () => resolve(done),
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          resolve(failed);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'stopping');
      stopThen(EXIT.OK, EXIT.FAILURE);
    };
    // The update agent switched releases: stop in order, then EXIT.RESTART for the launcher.
    restartFor = (reason) => {
      restartFor = undefined;
      log.info({ reason }, 'stopping to restart');
      stopThen(EXIT.RESTART, EXIT.RESTART);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    reloadOnHangup(() => managed.file ?? station.file, overrides, managed, log);
  });

  try {
    await managed.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      // A file the config names (the trusted keys) is wrong: a configuration problem, exit 2.
      await managed.stop().catch(() => undefined);
      return reportConfigError(err);
    }
    log.fatal({ err }, 'station failed to start');
    await managed.stop().catch(() => undefined);
    return EXIT.FAILURE;
  }
  log.info({ version }, 'station-gateway ready');
  return stopped;
}

main(process.argv.slice(2)).then(
  (code) => {
    // pino writes asynchronously to stdout; let it drain before the exit.
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err: unknown) => {
    process.stderr.write(`station-gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT.FAILURE);
  },
);
