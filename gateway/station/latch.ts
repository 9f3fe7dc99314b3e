/**
 * A condition with hysteresis: raised as soon as `set` holds, released only when `clear` has held
 * for `clearAfterMs` without interruption. Two thresholds keep a noisy value from flapping
 * (tank low at 15 %, ok again at 25 %); the hold keeps a bit that flickers (a smoke or leak
 * sensor) from clearing and raising the alarm again on every poll.
 */
export class Latch {
  private on = false;
  private clearSince: number | undefined;

  constructor(private readonly clearAfterMs = 0) {}

  get active(): boolean {
    return this.on;
  }

  /**
   * Raised without a reading: the condition held before a restart (its alarm is on record), so it
   * stays raised until readings release it by the same rule, the clear hold counted from now.
   */
  restore(): void {
    this.on = true;
    this.clearSince = undefined;
  }

  /** Feeds one reading; returns the transition it caused, if any. */
  update(set: boolean, clear: boolean, now: number): 'raised' | 'cleared' | undefined {
    if (!this.on) {
      if (!set) return undefined;
      this.on = true;
      this.clearSince = undefined;
      return 'raised';
    }
    if (set || !clear) {
      this.clearSince = undefined;
      return undefined;
    }
    this.clearSince ??= now;
    if (now - this.clearSince < this.clearAfterMs) return undefined;
    this.on = false;
    this.clearSince = undefined;
    return 'cleared';
  }
}
