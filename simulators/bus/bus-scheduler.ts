import { transmissionMs, type LineTiming } from './line-timing.js';

export interface BusSchedulerOptions {
  /**
   * Silence the wire keeps after every frame before the next may start: t3.5 on a Modbus RTU line
   * (Modbus over Serial Line v1.02 §2.5.1.1), none for line protocols that end frames with `\n`.
   */
  frameGapMs?: number;
}

/**
 * One half-duplex wire: what the master and the devices send takes the wire one frame at a time.
 * A frame is handed over whole at the moment its last byte would have arrived at the configured
 * baud rate (Node's timers cannot pace single bytes at 1 ms without gaps longer than t3.5, which
 * would cut frames). Without timing it is loopback speed, still in order. A late answer waits on
 * its own timer and takes the wire only when due, so one slow device never holds back another's
 * reply.
 */
export class BusScheduler {
  private busyUntil = -Infinity;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly frameGapMs: number;

  constructor(
    private readonly write: (bytes: Buffer) => void | Promise<void>,
    readonly timing?: LineTiming,
    options: BusSchedulerOptions = {},
  ) {
    this.frameGapMs = timing ? (options.frameGapMs ?? 0) : 0;
  }

  /**
   * Charges a frame the master sent. A pty or a socket delivers it at once; on the line it takes
   * its transmission time, starting when it arrived or, if the wire was busy, after the last
   * frame and its silence. Returns the time (performance.now()) its last byte would have arrived:
   * an answer is due from then, not from when the bytes reached us.
   */
  hear(bytes: number): number {
    const now = performance.now();
    if (!this.timing) return now;
    this.busyUntil = Math.max(now, this.busyUntil + this.frameGapMs) + transmissionMs(bytes, this.timing);
    return this.busyUntil;
  }

  /**
   * Sends `bytes` `delayMs` after `from` (default now), then after any frame still on the wire
   * and its silence, plus its own transmission time. Resolves once written, or never settles if
   * cancelled first (callers need not wait).
   */
  send(bytes: Buffer, delayMs = 0, from?: number): Promise<void> {
    if (!this.timing && delayMs <= 0 && this.timers.size === 0) return Promise.resolve(this.write(bytes));
    const due = (from ?? performance.now()) + Math.max(0, delayMs);
    return new Promise<void>((resolve, reject) => {
      this.at(due, () => {
        const start = Math.max(performance.now(), this.busyUntil + this.frameGapMs);
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
    this.busyUntil = -Infinity;
  }

  private at(when: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      run();
    }, Math.max(0, when - performance.now()));
    this.timers.add(t);
  }
}
