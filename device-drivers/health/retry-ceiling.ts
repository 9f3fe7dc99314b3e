/**
 * The longest wait between tries of a device that stopped answering, by default: the larger of
 * its poll period and two of its timeouts.
 *
 * Why these two: a try of a silent device costs its bus one timeout and nothing else (a Modbus
 * request is 8 bytes whatever it asks for, and the cost is the wait for an answer that does not
 * come), so trying no more often than every two timeouts keeps a dead unit to at most a third of
 * a shared line; and a device that answers again must be read within about one poll period plus
 * one timeout, not after a ceiling that grew for minutes while it was gone. Nobody polls a device
 * more often than its `pollMs` anyway, so a longer ceiling than that only hides one that is back.
 */
export function defaultRetryMaxMs(pollMs: number, timeoutMs: number): number {
  return Math.max(pollMs, 2 * timeoutMs);
}
