import { EventEmitter } from 'node:events';
import type { Liveness, LivenessResult } from './liveness.js';

/**
 * Runs the liveness check on a schedule and keeps the last answer, so /healthz and the watchdog
 * report the same thing and the loop-lag window is read from one place only.
 */
export class HealthMonitor extends EventEmitter<{ checked: [LivenessResult] }> {
  private timer: NodeJS.Timeout | undefined;
  private last: LivenessResult = { ok: true };

  constructor(
    private readonly liveness: Liveness,
    private readonly everyMs: number,
  ) {
    super();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.checkNow(), this.everyMs);
    this.timer.unref();
  }

  checkNow(): LivenessResult {
    this.last = this.liveness.check();
    this.emit('checked', this.last);
    return this.last;
  }

  current(): LivenessResult {
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
