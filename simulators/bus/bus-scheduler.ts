import { transmissionMs, type LineTiming } from './line-timing.js';

/**
 * One half-duplex wire: what devices send goes out one frame at a time. A frame is handed to the
 * wire whole at the moment its last byte would have arrived at the configured baud rate (Node's
 * timers cannot pace single bytes at 1 ms without gaps longer than t3.5, which would cut frames).
 * Without timing it is loopback speed, still in order. A late answer waits on its own timer and
 * takes the wire only when due, so one slow device never holds back another's reply.
 */
export class BusScheduler {
  private busyUntil = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly write: (bytes: Buffer) => void | Promise<void>,
    readonly timing?: LineTiming,
  ) {}

  /**
   * Sends `bytes` after `delayMs` (plus transmission time and any frame still on the wire).
   * Resolves once written, or never settles if cancelled first (callers need not wait).
   */
  send(bytes: Buffer, delayMs = 0): Promise<void> {
    if (!this.timing && delayMs <= 0 && this.timers.size === 0) return Promise.resolve(this.write(bytes));
    const due = performance.now() + Math.max(0, delayMs);
    return new Promise<void>((resolve, reject) => {
      this.at(due, () => {
        const start = Math.max(performance.now(), this.busyUntil);
        const done = start + (this.timing ? transmissionMs(bytes.length, this.timing) : 0);
        this.busyUntil = done;
        this.at(done, () => Promise.resolve(this.write(bytes)).then(resolve, reject));
      });
    });
  }

  /** Frames waiting or on the wire are lost, as when a device loses power. */
  cancel(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.busyUntil = 0;
  }

  private at(when: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, Math.max(0, when - performance.now()));
    this.timers.add(t);
  }
}
