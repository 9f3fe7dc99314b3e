import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { ConfigKeyFileError, readConfigKey } from '../config/config-keys.js';
import { OPERATOR_BROKER_OPTIONS, operatorBroker, OPERATOR_BROKER_HELP } from '../config/operator-connection.js';
import { readBundleFile } from './bundle-files.js';
import { rollBackRing } from './roll-back-ring.js';
import { DEFAULT_FAILURE_THRESHOLD, DEFAULT_RINGS, parseFailureThreshold, parseRings } from './rollout-plan.js';
import { RolloutProgress } from './rollout-progress.js';
import { runRollout } from './run-rollout.js';
import { stationList } from '../config/station-list.js';

export const UPDATE_HELP = `Usage: station-fleet update (--station ID ... | --list FILE) --version V --bundle FILE ...
       --base-url https://... --key config.private.jwk.json --broker URL [options]
       station-fleet update --rollback-ring N --progress-file FILE --bundle FILE ... --base-url URL
       --key config.private.jwk.json --broker URL

  Rolls version V out in rings: each station gets its own release document, signed with the
  fleet configuration key and retained on S/desired/version; each ring is followed until every
  station of it reports committed, rejected or rolled back (S/update) or its time is up. A ring
  whose failures pass the threshold stops the rollout: no later ring gets a document (exit 1).
  Resumable: a run again with the progress file carries on at the ring it was in and publishes
  nothing to a station already final (see docs/rollouts.md).

        --bundle FILE          station-gateway-<V>-linux-<arch>.tar.gz, its .sig beside it; one
                               per architecture (repeat the option)
        --base-url URL         where the bundles are served: each station fetches URL/<file name>
        --rings LIST           ring sizes, counts or percentages of all, the last "rest"
                               (default ${DEFAULT_RINGS}); stations go in the order listed
        --failure-threshold T  failures a ring may have, a share of it (5%) or a count (2)
                               (default ${DEFAULT_FAILURE_THRESHOLD}); rejected, rolled back and no report all count
        --timeout-seconds S    how long a station has to report an outcome (default 3600)
        --progress-file FILE   default update-<V>.progress.jsonl here
        --rollout ID           the id stations echo in their reports (default <V>-<time>)
        --rollback-ring N      publish to ring N the version each of its stations ran before the
                               rollout (from the progress file); --bundle names those versions' bundles
        --summary-seconds S    seconds between two summary lines (default 10; 0 for none)
        --collect-seconds S    wait for the stations' retained reports before starting (default 3)
      Exit 0 when every ring passed (or every station of the ring rolled back committed), 1 otherwise.

${OPERATOR_BROKER_HELP}`;

const OPTIONS = {
  station: { type: 'string', multiple: true },
  list: { type: 'string' },
  version: { type: 'string' },
  bundle: { type: 'string', multiple: true },
  'base-url': { type: 'string' },
  key: { type: 'string' },
  rings: { type: 'string' },
  'failure-threshold': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  'progress-file': { type: 'string' },
  rollout: { type: 'string' },
  'rollback-ring': { type: 'string' },
  'summary-seconds': { type: 'string' },
  'collect-seconds': { type: 'string' },
  ...OPERATOR_BROKER_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

const write = (line: string): void => void process.stdout.write(`${line}\n`);

/** `station-fleet update ...`; resolves with the exit code. */
export async function runUpdateCommand(argv: string[]): Promise<number> {
  try {
    const { values } = parseCommandLine({ args: argv, options: OPTIONS });
    if (values.help) {
      write(UPDATE_HELP);
      return 0;
    }
    const broker = operatorBroker(values);
    if (!values.key) throw new UsageError('--key config.private.jwk.json is required');
    if (values.rollout !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(values.rollout)) throw new UsageError(`--rollout must be 1 to 64 of A-Z, a-z, 0-9, '_', '.', '-', not "${values.rollout}"`);
    if (values.rings !== undefined) parseRings(values.rings);
    const threshold = parseFailureThreshold(values['failure-threshold'] ?? DEFAULT_FAILURE_THRESHOLD);
    const bundleFiles = values.bundle ?? [];
    if (bundleFiles.length > 0 && !values['base-url']) throw new UsageError('--base-url https://... is required with --bundle (where the stations fetch the bundles)');
    const bundles = bundleFiles.map((f) => readBundleFile(f, values['base-url'] as string));
    const common = {
      broker,
      prefix: values.prefix ?? 'stations',
      key: await readConfigKey(values.key),
      timeoutSeconds: integerOption(values['timeout-seconds'], 'timeout-seconds', 1, 7 * 86_400) ?? 3600,
      summaryEverySeconds: integerOption(values['summary-seconds'], 'summary-seconds', 0, 3600) ?? 10,
      collectSeconds: integerOption(values['collect-seconds'], 'collect-seconds', 0, 600) ?? 3,
      out: write,
    };
    const rollbackRing = integerOption(values['rollback-ring'], 'rollback-ring', 1);
    if (rollbackRing !== undefined) {
      if (!values['progress-file']) throw new UsageError('--rollback-ring needs --progress-file FILE, the rollout\'s');
      if (bundles.length === 0) throw new UsageError('--rollback-ring needs --bundle FILE for the version the ring goes back to');
      const summary = await rollBackRing({ ...common, progressFile: values['progress-file'], ring: rollbackRing, bundles });
      return summary.rejected + summary.rolledBack + summary.timedOut + summary.unknown.length === 0 ? 0 : 1;
    }
    const stations = stationList(values);
    const progressFile = values['progress-file'] ?? (values.version ? `update-${values.version}.progress.jsonl` : undefined);
    if (!progressFile) throw new UsageError('--version V is required');
    if (!RolloutProgress.exists(progressFile)) {
      if (stations.length === 0) throw new UsageError('--station ID or --list FILE is required');
      if (!values.version) throw new UsageError('--version V is required');
      if (bundles.length === 0) throw new UsageError('--bundle FILE is required (one per architecture)');
    }
    const summary = await runRollout({ ...common, progressFile, stations, version: values.version, bundles, ringSpec: values.rings, threshold, rolloutId: values.rollout });
    return summary.completed ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigKeyFileError) return writeUsageError('station-fleet update', err.message);
    throw err;
  }
}
