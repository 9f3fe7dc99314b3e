import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { SmokeReading } from '../../device-drivers/capabilities/capabilities.js';
import { Latch } from './latch.js';
import { clearStaleAlarms, type AlarmSink } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';
import type { AlarmName } from '../../cloud-bridge/alarm-catalogue.js';

export const STATION_SMOKE_ALARM = 'station.smoke' satisfies AlarmName;
export const DETECTOR_FAULT_ALARM = 'smoke-detector.fault' satisfies AlarmName;
/** As for a cabinet's smoke bit: a detector that goes quiet must stay quiet this long. */
export const DETECTOR_CLEAR_MS = 60_000;

export interface SmokeWatchOptions {
  device: string;
  alarms: AlarmSink;
  log: Logger;
  clock?: Clock | undefined;
  clearMs?: number | undefined;
}

/**
 * One smoke detector of the station (on GPIO or Modbus): smoke is a critical alarm, latched until
 * the detector has been quiet for the clear hold, and it is what the fire response follows. A
 * restart keeps the latch (the stored alarm is its record); a detector that stops answering does
 * not clear it, because a burnt-out detector is not an all-clear.
 */
export class SmokeWatch extends EventEmitter<{ changed: [] }> {
  private readonly clock: Clock;
  private readonly smoke: Latch;
  private reconciled = false;
  /** The fault as last read; undefined before the first reading, so that one always counts. */
  private faulty: boolean | undefined;

  constructor(private readonly options: SmokeWatchOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.smoke = new Latch(options.clearMs ?? DETECTOR_CLEAR_MS);
  }

  get device(): string {
    return this.options.device;
  }

  start(): void {
    const { alarms, device } = this.options;
    if (alarms.active().some((a) => a.device === device && a.alarm === STATION_SMOKE_ALARM)) this.smoke.restore();
  }

  smokeActive(): boolean {
    return this.smoke.active;
  }

  update(reading: SmokeReading): void {
    if (!reading.online) return;
    const { alarms, device, log } = this.options;
    const change = this.smoke.update(reading.smoke, !reading.smoke, this.clock.now());
    if (change === 'raised') {
      alarms.raise({ alarm: STATION_SMOKE_ALARM, severity: 'critical', device, detail: { message: 'smoke detected: charging cut, doors released, station closed' } });
      log.error('smoke detected by the station\'s detector');
    } else if (change === 'cleared') {
      alarms.clear(STATION_SMOKE_ALARM, device);
      log.info('smoke detector quiet for the clear hold: smoke cleared');
    }
    // On a change only: a detector polled four times a second must not cost the alarm table a lookup each time.
    if (reading.fault !== this.faulty) {
      this.faulty = reading.fault;
      if (reading.fault) alarms.raise({ alarm: DETECTOR_FAULT_ALARM, severity: 'major', device });
      else alarms.clear(DETECTOR_FAULT_ALARM, device);
    }
    if (!this.reconciled) {
      this.reconciled = true;
      const active = new Set<string>();
      if (this.smoke.active) active.add(STATION_SMOKE_ALARM);
      if (reading.fault) active.add(DETECTOR_FAULT_ALARM);
      clearStaleAlarms(alarms, device, (a) => a === STATION_SMOKE_ALARM || a === DETECTOR_FAULT_ALARM, active);
    }
    if (change !== undefined) this.emit('changed');
  }
}
