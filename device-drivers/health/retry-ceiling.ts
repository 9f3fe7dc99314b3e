/**
 * The retry ceiling that reads a device again within about one poll period plus one timeout once
 * it answers: the larger of its poll period and two of its timeouts. What a station file sets as
 * `retryMaxMs` where the line has room (docs/devices.md); the bench measures it.
 *
 * Not the default, and why: a try of a silent unit costs its bus one timeout, so at this ceiling a
 * dead unit may take a third of a shared line. On a line that is already full (the chaos suite's
 * five units polled every 100 ms at 9600 baud, two of them faulty) that took the healthy units from
 * 98 % of their fault-free rate to 72–79 %, below the 80 % the suite holds them to.
 */
export function defaultRetryMaxMs(pollMs: number, timeoutMs: number): number {
  return Math.max(pollMs, 2 * timeoutMs);
}
