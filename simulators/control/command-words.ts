import { onOff, parseDurationMs } from '../faults/transport-faults.js';
import { SimCommandError } from './sim-command-error.js';

/*
 * The control language, one line per command: `<device-id> <words...>`, e.g.
 * `cabinet-1 slot 3 temperature 62`, `water-1 leak on`, `lock-1 fault delay 800`. The same line
 * works on stdin, in the control API's `{"command"}` and in a scenario's `do:`. Words are split on
 * blanks; `#` starts a comment, except in the free text a word takes as typed (`scan`). Helpers
 * here turn words into values or throw SimCommandError.
 */

export function splitWords(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter(Boolean);
}

/**
 * What follows the first `count` words of `line` and the one blank after them, exactly as typed:
 * runs of spaces and `#` kept, only a trailing line end dropped. For a word whose argument is free
 * text that splitWords would change (a scanned rolling code is base45, which has spaces).
 */
export function restOfLine(line: string, count: number): string {
  let at = 0;
  for (let word = 0; word < count; word++) {
    while (at < line.length && /\s/.test(line[at] ?? '')) at++;
    while (at < line.length && !/\s/.test(line[at] ?? '')) at++;
  }
  if (line[at] === ' ' || line[at] === '\t') at++;
  return line.slice(at).replace(/[\r\n]+$/, '');
}

export function intWord(word: string | undefined, what: string, min: number, max: number): number {
  const n = word === undefined ? NaN : Number(word);
  if (!Number.isInteger(n) || n < min || n > max) throw new SimCommandError(`${what} must be an integer ${min}..${max}${word === undefined ? '' : `, not "${word}"`}`);
  return n;
}

export function numberWord(word: string | undefined, what: string, min: number, max: number): number {
  const n = word === undefined ? NaN : Number(word);
  if (!Number.isFinite(n) || n < min || n > max) throw new SimCommandError(`${what} must be a number ${min}..${max}${word === undefined ? '' : `, not "${word}"`}`);
  return n;
}

export function onOffWord(word: string | undefined): boolean {
  try {
    return onOff(word);
  } catch (err) {
    throw new SimCommandError((err as Error).message);
  }
}

export function durationWord(word: string | undefined, what: string): number {
  if (word === undefined) throw new SimCommandError(`${what} needs a duration (e.g. 2s, 500ms)`);
  try {
    return parseDurationMs(word);
  } catch (err) {
    throw new SimCommandError((err as Error).message);
  }
}

/** Runs `fn`, turning a model's RangeError or Error into a SimCommandError with its message. */
export function asCommand<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SimCommandError) throw err;
    throw new SimCommandError(err instanceof Error ? err.message : String(err));
  }
}
