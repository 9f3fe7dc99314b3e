import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DeviceDriver, DeviceEvent } from '../device.js';
import type { DeviceState, ErrorCounters, Points } from '../device-state.js';
import type { DeviceKind } from '../../config/device-kinds.js';
import { DEVICE_ERROR_CODES, toDeviceError, type DeviceError } from '../device-error.js';
import { keepAliveClock, type Clock } from '../../config/clock.js';

export interface DeviceMonitorOptions {
  id: string;
  driver: DeviceDriver;
  pollMs: number;
  /** Failed polls in a row before the device is declared offline. */
  offlineAfter: number;
  log: Logger;
  /** Poll schedule, latency and last-seen time; the system clock unless a test drives it. */
  clock?: Clock | undefined;
}

interface MonitorEvents {
  /** After every poll that succeeded, and on every online/offline change. */
  state: [DeviceState];
  online: [];
  offline: [DeviceError];
  event: [DeviceEvent];
}

const zeroCounters = (): ErrorCounters =>
  Object.fromEntries(Object.keys(DEVICE_ERROR_CODES).map((k) => [k, 0])) as ErrorCounters;

/**
 * Polls one driver on its schedule and keeps its health: the same online/offline rule, error
 * counters and latency for every kind of device. The next poll is scheduled once the previous
 * one settled, a period after its start, so a slow device never has two polls queued on a
 * shared bus.
 */
export class DeviceMonitor extends EventEmitter<MonitorEvents> {
  private online = false;
  private everOnline = false;
  private failuresInRow = 0;
  private points: Points = {};
  private lastSeen: number | null = null;
  private latencyMs: number | null = null;
  private readonly errors = zeroCounters();
  private cancelTimer: (() => void) | undefined;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly clock: Clock;
  /** Polls settled (good or bad) and when the last one did: liveness and metrics read them. */
  private polls = 0;
  private lastSettledAt: number | null = null;
  private pollMs: number;

  constructor(private readonly options: DeviceMonitorOptions) {
    super();
    this.clock = options.clock ?? keepAliveClock;
    this.pollMs = options.pollMs;
  }

  /** How many polls have settled and when the last did (ms epoch); a poll that never settles stops both. */
  pollStats(): { polls: number; lastSettledAt: number | null; pollMs: number } {
    return { polls: this.polls, lastSettledAt: this.lastSettledAt, pollMs: this.pollMs };
  }

  /** A new poll period (configuration reload); takes effect from the next scheduled poll. */
  setPollMs(pollMs: number): void {
    this.pollMs = pollMs;
  }

  get id(): string {
    return this.options.id;
  }
  get kind(): DeviceKind {
    return this.options.driver.kind;
  }
  get model(): string {
    return this.options.driver.model;
  }
  get driver(): DeviceDriver {
    return this.options.driver;
  }
  deadbands(): Record<string, number> {
    return this.options.driver.deadbands();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.driver.onEvent((e) => this.emit('event', e));
    try {
      await this.options.driver.open();
    } catch (err) {
      // An absent device is a health state, not a start failure: polls keep trying.
      this.recordFailure(toDeviceError(err));
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.inFlight;
    this.unsubscribe?.();
    await this.options.driver.close().catch((err: unknown) => this.options.log.warn({ err: String(err) }, 'close failed'));
  }

  state(): DeviceState {
    return {
      online: this.online,
      points: this.points,
      health: {
        lastSeen: this.lastSeen === null ? null : new Date(this.lastSeen).toISOString(),
        errors: { ...this.errors },
        latencyMs: this.latencyMs,
      },
    };
  }

  /** Runs one poll now (tests and `doctor` use it); normal polling goes through the schedule. */
  async pollOnce(): Promise<void> {
    const started = this.now();
    try {
      const points = await this.options.driver.read();
      const elapsed = this.now() - started;
      this.points = points;
      this.lastSeen = this.now();
      // Smoothed, so one slow answer on a busy bus does not read as a trend.
      this.latencyMs = Math.round((this.latencyMs === null ? elapsed : this.latencyMs * 0.8 + elapsed * 0.2) * 10) / 10;
      this.failuresInRow = 0;
      if (!this.online) {
        this.online = true;
        this.everOnline = true;
        this.options.log.info('device online');
        this.emit('online');
      }
      this.emit('state', this.state());
    } catch (err) {
      this.recordFailure(toDeviceError(err));
    }
  }

  private recordFailure(err: DeviceError): void {
    // A poll skipped while the bus backs the device off failed, but put nothing on the wire.
    if (err.detail?.['skipped'] !== true) this.errors[err.code]++;
    this.failuresInRow++;
    const threshold = this.failuresInRow >= this.options.offlineAfter;
    // A device never seen goes offline at the threshold too, so operators see it at start-up.
    if (threshold && (this.online || (!this.everOnline && this.failuresInRow === this.options.offlineAfter))) {
      this.online = false;
      this.options.log.warn({ code: err.code, err: err.message }, 'device offline');
      this.emit('offline', err);
      this.emit('state', this.state());
    } else {
      this.options.log.debug({ code: err.code, err: err.message }, 'poll failed');
    }
  }

  /**
   * Polls start a period apart, counted from the previous poll's start: a poll that waited on a
   * shared bus behind a neighbour's probe or timeout does not push every later poll back by that
   * wait (counted from its end, a 50 ms probe on a 100 ms line cost each healthy unit a quarter
   * of its polls). One that took a whole period or more (a device timing out on a line of its
   * own) is followed a period after its end, as before, so a dead device is never asked back to
   * back; and so is one whose clock stepped back meanwhile.
   */
  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.cancelTimer = this.clock.after(delayMs, () => {
      this.cancelTimer = undefined;
      const startedAt = this.now();
      this.inFlight = this.pollOnce().finally(() => {
        this.inFlight = undefined;
        this.polls++;
        this.lastSettledAt = this.now();
        const left = startedAt + this.pollMs - this.lastSettledAt;
        this.schedule(left > 0 && left <= this.pollMs ? left : this.pollMs);
      });
    });
  }

  private now(): number {
    return this.clock.now();
  }
}
