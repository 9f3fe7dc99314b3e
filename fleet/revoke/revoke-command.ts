import { writeFileSync } from 'node:fs';
import { integerOption, parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { readIssuerKey } from '../../simulators/cloud/token-issuer.js';
import { OPERATOR_BROKER_HELP, OPERATOR_BROKER_OPTIONS, operatorBroker } from '../config/operator-connection.js';
import { publishRevocations } from './publish-revocations.js';
import { DEFAULT_MAX_PASS_HOURS, nextRevocationList, readRevocationListFile, writeRevocationListFile } from './revocation-list-file.js';
import { signRevocationList } from './revocation-signer.js';

export const REVOKE_HELP = `Usage: station-fleet revoke --key FILE --list FILE [--pass ID ...] [--worker SUB ...] [options]

  Adds passes and workers to the fleet's revocation list, leaves out entries whose passes have all
  expired, numbers it (seq + 1), signs it with the pass issuer's key, writes it back to the list file
  and, with --broker, publishes it retained on <prefix>/_fleet/revocations for every station.
  With neither --pass nor --worker it re-signs the list as it stands: run it at least daily, so a
  station's list age (S/status, doctor) says how current it is.

        --key FILE           the pass issuer's private key (the JWK station-token keys writes)
        --list FILE          the operators' copy of the list (JSON; made when missing)
        --pass ID            a pass to revoke, by its id (cti in base64url, as access events name it); repeatable
        --worker SUB         a worker to revoke: every pass issued to them until now; repeatable
        --max-pass-hours H   the longest a pass lives (default ${DEFAULT_MAX_PASS_HOURS}): how long an entry is kept
        --out FILE           also write the signed list (a compact JWS) to FILE
        --broker URL         publish it retained (the operator's account; stations may only read it)

${OPERATOR_BROKER_HELP}`;

const OPTIONS = {
  key: { type: 'string' },
  list: { type: 'string' },
  pass: { type: 'string', multiple: true },
  worker: { type: 'string', multiple: true },
  'max-pass-hours': { type: 'string' },
  out: { type: 'string' },
  ...OPERATOR_BROKER_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

const write = (line: string): void => void process.stdout.write(`${line}\n`);

/** `station-fleet revoke ...`; resolves with the exit code. */
export async function runRevokeCommand(argv: string[], now = new Date()): Promise<number> {
  try {
    const { values } = parseCommandLine({ args: argv, options: OPTIONS });
    if (values.help) {
      write(REVOKE_HELP);
      return 0;
    }
    if (!values.key) throw new UsageError('--key FILE (the pass issuer\'s private key) is required');
    if (!values.list) throw new UsageError('--list FILE (the operators\' copy of the list) is required');
    const maxPassHours = integerOption(values['max-pass-hours'], 'max-pass-hours', 1, 24 * 366) ?? DEFAULT_MAX_PASS_HOURS;
    const broker = values.broker !== undefined ? operatorBroker(values) : undefined;
    let key: Awaited<ReturnType<typeof readIssuerKey>>;
    try {
      key = await readIssuerKey(values.key);
    } catch (err) {
      throw new UsageError(`cannot read the key ${values.key}: ${(err as Error).message}`);
    }
    const list = nextRevocationList(readRevocationListFile(values.list), { passes: values.pass, workers: values.worker, now, maxPassHours });
    const jws = await signRevocationList(key, list);
    // Written before it is published: a list out on the broker is always one the operators hold, so the next seq is greater.
    writeRevocationListFile(values.list, list);
    if (values.out) writeFileSync(values.out, `${jws}\n`);
    write(`revocation list ${list.seq}: ${list.passes.length} passes, ${list.workers.length} workers, signed by ${key.kid} (${jws.length} characters)`);
    if (broker) write(`published retained on ${await publishRevocations(broker, values.prefix ?? 'stations', jws)}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return writeUsageError('station-fleet revoke', err.message);
    throw err;
  }
}
