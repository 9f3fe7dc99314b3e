/**
 * The one exponential curve of the project: `firstMs` · 2^step, capped at `maxMs` (step 0 is the
 * first wait). The exponent is capped too, so a long outage cannot overflow it to Infinity.
 * Backoff below, the cloud link's jittered reconnect and the status page's login lockout read it.
 */
export function exponentialDelay(step: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, step), 30));
}

/**
 * Exponential backoff with a ceiling: after n failures in a row the next attempt waits
 * min · 2^(n-1), capped at max. One instance per thing that can fail on its own (a bus's
 * connection, one slave on a bus, a serial port, a Firmata board), so a dead part is retried
 * rarely while the healthy ones keep their pace.
 */
export class Backoff {
  private failuresInRow = 0;
  private notBefore = 0;
  private delayMs = 0;

  constructor(
    private minMs: number,
    private maxMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.minMs = Math.min(minMs, maxMs);
  }

  /**
   * A new ceiling (a device's retry ceiling, known only once the device is wired to the part that
   * backs off): takes effect from the next failure; the first wait never exceeds the ceiling.
   */
  setMaxMs(maxMs: number): void {
    this.maxMs = maxMs;
    this.minMs = Math.min(this.minMs, maxMs);
  }

  get failures(): number {
    return this.failuresInRow;
  }

  /** How long until the next attempt is due; 0 when it is due now. */
  waitMs(): number {
    return Math.max(0, this.notBefore - this.now());
  }

  /**
   * Records a failure; returns the delay before the next attempt, counted from `startedAt` (when
   * the failed attempt began; default now): a try that took a whole timeout to fail must not
   * push the next one a timeout later than its schedule. `atCeiling` waits the ceiling at once,
   * for a part that something cheaper watches meanwhile (a Modbus unit's probe).
   */
  failed(startedAt: number = this.now(), atCeiling = false): number {
    this.failuresInRow++;
    this.delayMs = atCeiling ? this.maxMs : exponentialDelay(this.failuresInRow - 1, this.minMs, this.maxMs);
    this.notBefore = startedAt + this.delayMs;
    return this.delayMs;
  }

  /** The wait the last failure set (0 before any): callers judge "nearly due" against it. */
  get currentDelayMs(): number {
    return this.failuresInRow === 0 ? 0 : this.delayMs;
  }

  succeeded(): void {
    this.failuresInRow = 0;
    this.notBefore = 0;
    this.delayMs = 0;
  }
}
