import type { Clock } from '../../config/clock.js';

/** Lets promises already resolving run on: a real turn of the event loop, not fake time. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when the test says so; timers fire in time order as it passes them.
 * Fits both the device layer's Clock and the station's (they have the same shape).
 */
export class FakeClock implements Clock {
  private t = Date.parse('2026-11-29T02:00:00.000Z');
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 0;

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  advance(ms: number): void {
    const until = this.t + ms;
    for (let due = this.nextDue(until); due; due = this.nextDue(until)) this.fire(due);
    this.t = until;
  }

  /**
   * Like advance, but after each timer lets the work it started settle before time moves on, so
   * a part that sets its next timer when an async step finishes sets it at the right time.
   */
  async advanceSettling(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (let due = this.nextDue(until); due; due = this.nextDue(until)) {
      this.fire(due);
      await settle();
    }
    this.t = until;
  }

  pending(): number {
    return this.timers.length;
  }

  private nextDue(until: number): { at: number; fn: () => void; id: number } | undefined {
    return this.timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
  }

  private fire(due: { at: number; fn: () => void; id: number }): void {
    this.timers = this.timers.filter((x) => x !== due);
    this.t = due.at;
    due.fn();
  }
}
