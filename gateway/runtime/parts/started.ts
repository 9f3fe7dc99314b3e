import { LifecycleError } from '../../lifecycle/part.js';

/** What a part holds once started; reading it earlier is a wiring mistake, said as one. */
export function started<T>(value: T | undefined, part: string, what: string): T {
  if (value === undefined) throw new LifecycleError(`${what} of part ${part} was used before the part started (a missing need?)`);
  return value;
}
