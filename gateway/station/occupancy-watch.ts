import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { OccupancyReading } from '../../device-drivers/capabilities/capabilities.js';
import type { DailyWindow } from './daily-window.js';
import { Latch } from './latch.js';
import { clearStaleAlarms, type AlarmSink, type ReportedEvents } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';
import type { AlarmName } from '../../cloud-bridge/alarm-catalogue.js';

export interface OccupancyLimits {
  /** Seconds without movement, at night, before `person.still` is raised. */
  stillAlarmSeconds: number;
  /** The room must read empty this long before a stay ends (mmWave sensors drop a still person for a moment). */
  leftAfterMs: number;
}

export const DEFAULT_OCCUPANCY_LIMITS: OccupancyLimits = { stillAlarmSeconds: 600, leftAfterMs: 10_000 };

export const STILL_ALARM = 'person.still' satisfies AlarmName;

export interface OccupancyWatchOptions {
  device: string;
  alarms: AlarmSink;
  recorder: ReportedEvents;
  /** When a motionless person raises the alarm (`occupancy.nightHours` in the station's zone). */
  night: DailyWindow;
  log: Logger;
  clock?: Clock | undefined;
  limits?: Partial<OccupancyLimits>;
}

interface Stay {
  enteredAt: number;
  peak: number;
  /** When the room first read empty again, while that lasts. */
  emptySince: number | undefined;
}

/**
 * People in the station from one occupancy sensor (devices.md §5): each stay, from the first
 * person in to the room empty again, is an `occupancy.session` event; at night a person who has
 * not moved for too long is a critical alarm ("person may need help"), cleared when they move or
 * leave. Readings from a sensor that is offline or reports a fault change nothing.
 */
export class OccupancyWatch extends EventEmitter<{ changed: [] }> {
  private readonly clock: Clock;
  private readonly limits: OccupancyLimits;
  private people: number | undefined;
  private stay: Stay | undefined;
  private readonly still = new Latch();
  private reconciled = false;

  constructor(private readonly options: OccupancyWatchOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.limits = { ...DEFAULT_OCCUPANCY_LIMITS, ...options.limits };
  }

  get device(): string {
    return this.options.device;
  }

  /** People inside now; undefined while the sensor is offline or faulty (unknown is not zero). */
  inside(): number | undefined {
    return this.people;
  }

  /**
   * Feed every reading of the sensor (`sensor.reading(state)` for each state of its DeviceMonitor).
   * A sensor without a stillness role (`stillSeconds` undefined) never raises `person.still`.
   */
  update(reading: OccupancyReading): void {
    const usable = reading.online && reading.usable;
    const before = this.people;
    if (!usable) {
      this.people = undefined;
    } else {
      const people = reading.people;
      this.people = people;
      const now = this.clock.now();
      if (people !== undefined) this.followStay(people, now);
      this.checkStill(people ?? 0, reading.stillSeconds, now);
    }
    if (before !== this.people) this.emit('changed');
  }

  private followStay(people: number, now: number): void {
    const stay = this.stay;
    if (people > 0) {
      if (!stay) this.stay = { enteredAt: now, peak: people, emptySince: undefined };
      else {
        stay.peak = Math.max(stay.peak, people);
        stay.emptySince = undefined;
      }
      return;
    }
    if (!stay) return;
    stay.emptySince ??= now;
    if (now - stay.emptySince < this.limits.leftAfterMs) return;
    this.stay = undefined;
    this.options.recorder.record({
      type: 'occupancy.session',
      device: this.options.device,
      data: {
        enteredAt: new Date(stay.enteredAt).toISOString(),
        leftAt: new Date(stay.emptySince).toISOString(),
        peakPeople: stay.peak,
        seconds: Math.round((stay.emptySince - stay.enteredAt) / 1000),
      },
    });
  }

  private checkStill(people: number, stillSeconds: number | undefined, now: number): void {
    const { alarms, device, log, night } = this.options;
    const threshold = this.limits.stillAlarmSeconds;
    const motionless = people > 0 && stillSeconds !== undefined && stillSeconds >= threshold;
    // Raised only at night; once raised it stays until the person moves or leaves, even past dawn.
    const change = this.still.update(motionless && night.contains(new Date(now)), !motionless, now);
    if (change === 'raised') {
      alarms.raise({ alarm: STILL_ALARM, severity: 'critical', device, detail: { stillSeconds: stillSeconds ?? null, people, message: 'person may need help' } });
      log.error({ stillSeconds, people }, 'a person has not moved: may need help');
    } else if (change === 'cleared') {
      alarms.clear(STILL_ALARM, device);
    }
    if (!this.reconciled) {
      this.reconciled = true;
      clearStaleAlarms(alarms, device, (a) => a === STILL_ALARM, new Set(this.still.active ? [STILL_ALARM] : []));
    }
  }
}
