import { ConfigError, formatProblem } from '../../config/config-error.js';
import { errorEntry } from '../../config/error-catalogue.js';
import { parseCommandLine, UsageError, writeUsageError } from '../../config/usage-error.js';
import { loadClaimFile } from './claim-file.js';
import { enrolBox } from './enrol-box.js';
import { EnrolmentError } from './enrolment-error.js';

export const ENROL_USAGE = `Usage: station-gateway enrol --config CLAIM_FILE

A new box's first start: makes its own key pair, asks the fleet's enrolment service for its
certificate and station file with the claim the claim file names, and writes them where the claim
file says. Then \`station-gateway run --config <that station file>\`.

Exit codes: 0 enrolled, 1 not enrolled this time (no answer, refused, a bad answer: nothing written),
2 the claim file is wrong or the box is enrolled already.`;

/**
 * `station-gateway enrol -c claim.yaml` (the CLI dispatches `enrol` here with the arguments after
 * it). Returns the exit code; output goes to the streams given (stdout and stderr by default).
 */
export async function runEnrolCommand(
  args: string[],
  out: (line: string) => void = (l) => void process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => void process.stderr.write(`${l}\n`),
): Promise<number> {
  let config: string | undefined;
  try {
    const { values } = parseCommandLine({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      out(ENROL_USAGE);
      return 0;
    }
    config = values.config;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return writeUsageError('station-gateway enrol', e.message, ENROL_USAGE);
  }
  if (!config) return writeUsageError('station-gateway enrol', '--config CLAIM_FILE is required');
  try {
    const claim = loadClaimFile(config);
    const done = await enrolBox(claim, { say: out });
    out(`ok: station ${done.stationId}; run it with: station-gateway run --config ${done.stationFile}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err(formatProblem(p));
      return 2;
    }
    if (e instanceof EnrolmentError) {
      err(`station-gateway enrol: ${e.code}: ${e.message}`);
      return errorEntry(e.code)?.exit ?? 1;
    }
    throw e;
  }
}
