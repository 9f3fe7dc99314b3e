/**
 * Exponential backoff with a ceiling: after n failures in a row the next attempt waits
 * min · 2^(n-1), capped at max. One instance per thing that can fail on its own (a bus's
 * connection, one slave on a bus, a serial port, a Firmata board), so a dead part is retried
 * rarely while the healthy ones keep their pace.
 */
export class Backoff {
  private failuresInRow = 0;
  private notBefore = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get failures(): number {
    return this.failuresInRow;
  }

  /** How long until the next attempt is due; 0 when it is due now. */
  waitMs(): number {
    return Math.max(0, this.notBefore - this.now());
  }

  /** Records a failure; returns the delay before the next attempt. */
  failed(): number {
    this.failuresInRow++;
    const delay = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failuresInRow - 1, 30));
    this.notBefore = this.now() + delay;
    return delay;
  }

  succeeded(): void {
    this.failuresInRow = 0;
    this.notBefore = 0;
  }
}
