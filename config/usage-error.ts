import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line a person must fix: running it again will not help (README, "Exit codes"). */
export const USAGE_EXIT_CODE = 2;

/**
 * The command line is wrong: an unknown option, a missing one, a value that cannot be read. Every
 * tool of the project throws this one type and reports it through `writeUsageError`, so a script
 * sees the same exit code and the same first line whichever tool it ran.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** node:util's parseArgs, with what it refuses (an unknown option, a value missing) as a UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((err as Error).message);
    throw err;
  }
}

/** `--name` as a whole number in min..max (no upper bound by default); undefined when not given. */
export function integerOption(text: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  // Number('') is 0: an empty value is a mistake, not a zero.
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min}..${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, not "${text}"`);
  }
  return n;
}

/** `program: message` on stderr, then the usage text when there is one; returns the exit code, 2. */
export function writeUsageError(program: string, message: string, usage?: string): number {
  process.stderr.write(usage === undefined ? `${program}: ${message}\n` : `${program}: ${message}\n\n${usage}\n`);
  return USAGE_EXIT_CODE;
}
