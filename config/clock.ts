/**
 * Time as a part that schedules sees it: the current time and a one-shot timer. Every part that
 * waits takes one, so a test drives its schedules, timeouts and thresholds with fake time
 * (test/helpers/fake-clock.ts); the station and the device layer share this one shape.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** Real time whose timers never keep a stopping process alive (a pending swap or water timeout). */
export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Real time for live work (a poll schedule, a reconnect): its part's stop() is what cancels it. */
export const keepAliveClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
