#!/usr/bin/env node
import { writeUsageError } from '../../config/usage-error.js';
import { runFleetEnrolCommand } from '../enrolment/enrol-command.js';
import { runSimulateCommand } from '../simulate-command.js';
import { runConfigCommand } from '../config/config-command.js';
import { runDiagnosticsCommand } from '../diagnostics/diagnostics-command.js';
import { runReleaseCommand } from '../release/release-command.js';
import { runUpdateCommand } from '../update/update-command.js';
import { runRevokeCommand } from '../revoke/revoke-command.js';

/*
 * The operators' fleet tool. Today it has one command, the fleet simulator (many stations on the
 * gateway's own bridge code, for the console and for load); enrolment and remote configuration
 * come here too. It sits above the station: it builds stations' bridges, which a device simulator
 * never does.
 */

const USAGE = `Usage: station-fleet <command> [options]

Commands:
  simulate --stations N --broker URL [options]   many simulated stations, for the console and for load
                                                 (station-fleet simulate --help)
  config keygen|push|status [options]            the fleet's configuration of its stations: a signing key,
                                                 a signed push, who runs which revision (station-fleet config --help)
  enrol serve --config FILE | enrol ca init --dir DIR
                                                 the enrolment service (boxes' first certificates, stations'
                                                 renewals); a fleet CA for a test (station-fleet enrol --help)
  logs|doctor --station ID --key FILE --broker URL  a station's usage log, or its doctor checks, fetched from
                                                 the station itself (station-fleet logs --help)
  release keygen|build [options]                 the release key, and a signed bundle of the gateway for
                                                 this machine's architecture (station-fleet release --help)
  update --version V --bundle FILE ... [options]  roll a version out in rings that stop themselves past a
                                                 failure threshold; roll a ring back (station-fleet update --help)
  revoke --key FILE --list FILE [--pass ID ...] [--worker SUB ...] [--broker URL]
                                                 the fleet's signed revocation list of passes and workers, published
                                                 retained for every station (station-fleet revoke --help)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'simulate') return runSimulateCommand(rest);
  if (command === 'enrol') return runFleetEnrolCommand(rest);
  if (command === 'config') return runConfigCommand(rest);
  if (command === 'logs' || command === 'doctor') return runDiagnosticsCommand(command, rest);
  if (command === 'release') return runReleaseCommand(rest);
  if (command === 'update') return runUpdateCommand(rest);
  if (command === 'revoke') return runRevokeCommand(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  // Worded as parseArgs words it in every other tool.
  if (command.startsWith('-')) return writeUsageError('station-fleet', `Unknown option '${command}'`, USAGE);
  return writeUsageError('station-fleet', `unknown command "${command}"`, USAGE);
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`station-fleet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
