import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { errorEntry } from '../../config/error-catalogue.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { EnrolmentError } from '../../gateway/enrolment/enrolment-error.js';
import { createLogger } from '../../gateway/runtime/logger.js';
import { ClaimLedger } from './claim-ledger.js';
import { EnrolmentService } from './enrolment-service.js';
import { FleetCa, initFleetCa } from './fleet-ca.js';
import { loadServiceFile, type LoadedServiceFile } from './service-file.js';

export const ENROL_HELP = `Usage: station-fleet enrol <command> [options]

Commands:
  serve --config FILE              the enrolment service: answers boxes' enrolment requests and
                                   stations' renewals over the broker, with the operator's account
  ca init --dir DIR [--name N] [--days D]
                                   a fleet CA (ca.crt, ca.key) for a test or a small fleet

The service file names the broker account, the fleet CA, the state file and the claims with their
plans (docs/enrolment.md). Runs until Ctrl-C or SIGTERM.`;

/** `station-fleet enrol ...` (the CLI dispatches here with the arguments after `enrol`); returns the exit code. */
export async function runFleetEnrolCommand(args: string[], log?: Logger): Promise<number> {
  const [verb, ...rest] = args;
  try {
    if (verb === 'serve') return await serve(rest, log ?? createLogger('info'));
    if (verb === 'ca' && rest[0] === 'init') return await caInit(rest.slice(1));
    if (verb === undefined || verb === '--help' || verb === '-h') {
      process.stdout.write(`${ENROL_HELP}\n`);
      return verb === undefined ? 2 : 0;
    }
    return writeUsageError('station-fleet enrol', `unknown command "${[verb, ...rest.slice(0, 1)].join(' ')}"`, ENROL_HELP);
  } catch (err) {
    if (err instanceof UsageError) return writeUsageError('station-fleet enrol', err.message, ENROL_HELP);
    if (err instanceof ConfigError) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return 2;
    }
    if (err instanceof EnrolmentError) {
      process.stderr.write(`station-fleet enrol: ${err.code}: ${err.message}\n`);
      return errorEntry(err.code)?.exit ?? 1;
    }
    throw err;
  }
}

async function caInit(args: string[]): Promise<number> {
  const { values } = parseCommandLine({ args, options: { dir: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' } } });
  if (!values.dir) throw new UsageError('ca init: --dir DIR is required');
  const days = integerOption(values.days, 'days', 1, 36_500);
  const files = await initFleetCa(values.dir, { ...(values.name === undefined ? {} : { name: values.name }), ...(days === undefined ? {} : { days }) });
  process.stdout.write(`ok: ${files.cert} (the CA certificate: the broker's cafile for station certificates) and ${files.key} (0600: keep it off every other machine)\n`);
  return 0;
}

async function serve(args: string[], log: Logger): Promise<number> {
  const { values } = parseCommandLine({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new UsageError('serve: --config FILE is required');
  const service = loadServiceFile(values.config);
  const ledger = ClaimLedger.open(service.stateFile);
  const ca = new FleetCa(service.ca, service.validityDays);
  const stationCaPem = readFileSync(service.stationCa ?? service.ca.cert, 'utf8');
  const client = await connectService(service);
  // MQTT.js reconnects by itself; what it reports meanwhile is logged, never thrown.
  client.on('error', (err) => log.warn({ err: err.message }, 'broker connection error; reconnecting'));
  client.on('offline', () => log.warn('broker connection lost; reconnecting'));
  client.on('connect', () => log.info('broker connection up'));
  const enrolment = new EnrolmentService({ service, client, ledger, ca, stationCaPem, log });
  await enrolment.start();
  log.info({ claims: Object.keys(service.claims).length, topics: enrolment.topics }, 'enrolment service ready');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await enrolment.stop();
  await client.endAsync();
  return 0;
}

/**
 * The operator's account with a clean session: a request queued for the service while it was away
 * would be answered after its box has given up, and spend a use for nobody; the box asks again.
 */
export async function connectService(service: LoadedServiceFile): Promise<MqttClient> {
  const b = service.broker;
  const options: IClientOptions = { protocolVersion: b.protocolVersion, clean: true, reconnectPeriod: 2000, connectTimeout: 30_000 };
  if (b.ca) options.ca = readFileSync(b.ca);
  if (b.cert) options.cert = readFileSync(b.cert);
  if (b.key) options.key = readFileSync(b.key);
  return mqtt.connectAsync(b.url, options);
}
