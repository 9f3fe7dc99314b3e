import type { ViewDevice } from './station-view.js';

export type LivenessResult = { ok: true } | { ok: false; reasons: string[] };

export interface LivenessOptions {
  devices: readonly ViewDevice[];
  timeoutMs(deviceId: string): number;
  /** Longest event-loop stall since the last check, in ms. */
  loopLagMs(): number;
  /** A stall longer than this makes the box unhealthy (default 10 s). */
  maxLoopLagMs?: number;
  now?: () => number;
}

/** A poller is stalled when nothing settled for this many poll periods (with the request timeout), at least a minute. */
const STALL_PERIODS = 10;
const MIN_STALL_MS = 60_000;
const DEFAULT_MAX_LOOP_LAG_MS = 10_000;

/**
 * Whether the gateway's own loops are alive: every device poller keeps settling polls (a failed
 * poll counts: a dead device is a health state, a poll that never returns is a hung gateway),
 * and the event loop has not stalled. The watchdog and /healthz share this one rule.
 */
export class Liveness {
  private readonly startedAt: number;
  private readonly now: () => number;
  private lastLagMs = 0;

  constructor(private readonly options: LivenessOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** The stall limit of one device: generous, since devices on one bus wait for each other. */
  stallAfterMs(device: ViewDevice): number {
    const { pollMs } = device.pollStats();
    return Math.max(MIN_STALL_MS, STALL_PERIODS * (pollMs + this.options.timeoutMs(device.id)));
  }

  /** Reads (and resets) the loop-lag window: call it from one place on a schedule. */
  check(): LivenessResult {
    const reasons: string[] = [];
    const now = this.now();
    for (const d of this.options.devices) {
      const since = d.pollStats().lastSettledAt ?? this.startedAt;
      const idle = now - since;
      if (idle > this.stallAfterMs(d)) reasons.push(`poller of ${d.id} stalled: no poll settled for ${Math.round(idle / 1000)} s`);
    }
    this.lastLagMs = this.options.loopLagMs();
    const maxLag = this.options.maxLoopLagMs ?? DEFAULT_MAX_LOOP_LAG_MS;
    if (this.lastLagMs > maxLag) reasons.push(`event loop stalled for ${Math.round(this.lastLagMs)} ms (limit ${maxLag} ms)`);
    return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
  }

  /** The loop lag seen by the last check, in ms. */
  get lastLoopLagMs(): number {
    return this.lastLagMs;
  }
}
