import { stationList as readStationList } from './station-list.js';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { ConfigKeyFileError, readConfigKey, writeConfigKey } from './config-keys.js';
import { configStatus } from './config-status.js';
import { OPERATOR_BROKER_OPTIONS, operatorBroker, type OperatorBroker, OPERATOR_BROKER_HELP } from './operator-connection.js';
import { pushConfig } from './push-config.js';

export const CONFIG_HELP = `Usage: station-fleet config <keygen|push|status> [options]

  keygen --out DIR [--kid ID]
      make the fleet's configuration key: DIR/config.private.jwk.json (the operators' signing key,
      mode 0600; never on a station) and DIR/config-keys.jwks.json (the stations' configuration-key
      file). A key of its own: never an access-token key.

  push (--station ID ... | --list FILE) --file station.yaml [--profiles DIR] --revision N
       --key config.private.jwk.json --broker URL [options]
      sign each station's configuration as revision N, publish it retained on S/desired/config and
      follow each station's S/config until it reports applied, rejected or rolled back. The file
      may name one file per station (sites/{station}.yaml); "{{station}}" in its text is replaced
      by each station's id. Resumable: stations done are written to the progress file, and a run
      again with it skips them and signs the very same documents.
        --progress FILE      default config-push-<N>.progress.jsonl here
        --timeout S          seconds to follow one station (default 300)
        --concurrency N      stations followed at once (default 200)
        --replace-drift      replace a station file that was changed on site
        --stop-after N       push to no more stations once N rejected or rolled it back
      Exit 0 when every station applied it, 1 otherwise.

  status (--station ID ... | --list FILE | --all) --broker URL [--wait S]
      which stations run which revision, which rejected or rolled back one and why, which drifted
      (from each station's retained S/config; --wait S collects for S seconds, default 3).

${OPERATOR_BROKER_HELP}`;

const OPTIONS = {
  out: { type: 'string' },
  kid: { type: 'string' },
  station: { type: 'string', multiple: true },
  list: { type: 'string' },
  all: { type: 'boolean' },
  file: { type: 'string' },
  profiles: { type: 'string' },
  revision: { type: 'string' },
  key: { type: 'string' },
  progress: { type: 'string' },
  timeout: { type: 'string' },
  concurrency: { type: 'string' },
  'replace-drift': { type: 'boolean' },
  'stop-after': { type: 'string' },
  wait: { type: 'string' },
  ...OPERATOR_BROKER_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandLine<{ args: string[]; options: typeof OPTIONS }>>['values'];

const write = (line: string): void => void process.stdout.write(`${line}\n`);

/** `station-fleet config ...`; resolves with the exit code. */
export async function runConfigCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(`${CONFIG_HELP}\n`);
    return verb === undefined ? 2 : 0;
  }
  if (verb !== 'keygen' && verb !== 'push' && verb !== 'status') return writeUsageError('station-fleet config', `unknown command "${verb}"`, CONFIG_HELP);
  try {
    const { values } = parseCommandLine({ args: rest, options: OPTIONS });
    if (values.help) {
      write(CONFIG_HELP);
      return 0;
    }
    if (verb === 'keygen') return await keygen(values);
    if (verb === 'push') return await push(values);
    return await status(values);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigKeyFileError) return writeUsageError(`station-fleet config ${verb}`, err.message);
    throw err;
  }
}

async function keygen(values: Values): Promise<number> {
  if (!values.out) throw new UsageError('--out DIR is required');
  const kid = values.kid ?? `fleet-config-${new Date().toISOString().slice(0, 10)}`;
  const written = await writeConfigKey(values.out, kid);
  write(`configuration key ${written.kid}:`);
  write(`  ${written.privateKeyFile}   the operators' signing key (keep it off stations)`);
  write(`  ${written.publicKeysFile}   the stations' configuration-key file`);
  return 0;
}

async function push(values: Values): Promise<number> {
  const stations = stationList(values, false);
  if (!stations) throw new UsageError('--station ID or --list FILE is required');
  if (!values.file) throw new UsageError('--file station.yaml is required');
  const revision = integerOption(values.revision, 'revision', 1);
  if (revision === undefined) throw new UsageError('--revision N is required');
  if (!values.key) throw new UsageError('--key config.private.jwk.json is required');
  const key = await readConfigKey(values.key);
  const summary = await pushConfig({
    broker: broker(values),
    prefix: values.prefix ?? 'stations',
    stations,
    stationFile: values.file,
    profilesDir: values.profiles,
    revision,
    key,
    progressFile: values.progress ?? `config-push-${revision}.progress.jsonl`,
    timeoutSeconds: integerOption(values.timeout, 'timeout', 1, 86_400) ?? 300,
    concurrency: integerOption(values.concurrency, 'concurrency', 1, 100_000) ?? 200,
    replaceDrift: values['replace-drift'] ?? false,
    stopAfterFailures: integerOption(values['stop-after'], 'stop-after', 1),
    out: write,
  });
  return summary.applied.length + summary.skipped === summary.total ? 0 : 1;
}

async function status(values: Values): Promise<number> {
  const stations = stationList(values, true);
  if (!stations && !values.all) throw new UsageError('--station ID, --list FILE or --all is required');
  await configStatus({ broker: broker(values), prefix: values.prefix ?? 'stations', stations, waitSeconds: integerOption(values.wait, 'wait', 1, 3600) ?? 3, out: write });
  return 0;
}

/** The stations of `--station` (repeated) and `--list FILE` (one id a line; `#` starts a comment). */
function stationList(values: Values, allowAll: boolean): string[] | undefined {
  if (values.all && !allowAll) throw new UsageError('--all is for status; a push names its stations');
  if (values.all && (values.station || values.list)) throw new UsageError('--all or a list of stations, not both');
  const ids = readStationList(values);
  return ids.length === 0 ? undefined : ids;
}

function broker(values: Values): OperatorBroker {
  return operatorBroker(values);
}
