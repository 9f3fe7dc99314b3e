/**
 * The retry ceiling a station file may set (`retryMaxMs`) to have a silent Modbus unit tried with
 * its full read about once a poll period: the larger of its poll period and two of its timeouts.
 * Not the default, and why: a try of a silent unit costs its bus one timeout, so at this ceiling a
 * dead unit may take a third of a shared line (its neighbours fell from 1.00 to 0.67 polls/s in the
 * recovery bench, and the chaos suite's healthy units to 72–79 % of their fault-free rate). The
 * default is the bus's probe (modbus/probe-timeout.ts), with the same recovery at a few tens of
 * ms of line per try; the recovery bench measures both.
 */
export function fullTryRetryMaxMs(pollMs: number, timeoutMs: number): number {
  return Math.max(pollMs, 2 * timeoutMs);
}
