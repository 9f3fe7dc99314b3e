import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * The longest event-loop delay since the last read, from perf_hooks' sampling histogram. A loop
 * that stalls for seconds (a synchronous scan of a large file, a runaway loop) shows here once it
 * comes back; a loop that never comes back stops answering /healthz and pinging the watchdog.
 */
export class EventLoopLag {
  private histogram: IntervalHistogram | undefined;

  start(): void {
    if (this.histogram) return;
    // 20 ms resolution: fine enough to see a stall, cheap enough for a Pi.
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
  }

  /** Max delay in ms since the previous call; 0 before any sample. */
  takeMaxMs(): number {
    const h = this.histogram;
    if (!h) return 0;
    const max = h.count > 0 ? h.max / 1e6 : 0;
    h.reset();
    return max;
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
