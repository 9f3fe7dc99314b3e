import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DispenserReading, WaterDispenser } from '../../device-drivers/capabilities/capabilities.js';
import { DeviceError } from '../../device-drivers/device-error.js';
import { AccessDenied } from '../access/access-error.js';
import { Latch } from './latch.js';
import { clearStaleAlarms, type AlarmSink, type ReportedEvents } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';
import type { AlarmName } from '../../cloud-bridge/alarm-catalogue.js';

export interface WaterLimits {
  /** A session nobody draws from is closed after this. */
  sessionIdleMs: number;
  /** `water.tank-low` (warning) at or below this level, cleared at or above `tankOkPercent`. */
  tankLowPercent: number;
  tankOkPercent: number;
}

export const DEFAULT_WATER_LIMITS: WaterLimits = { sessionIdleMs: 60_000, tankLowPercent: 15, tankOkPercent: 25 };

/** A leak or filter sensor that goes quiet must stay quiet this long before its alarm clears. */
export const SENSOR_CLEAR_MS = 30_000;
/** Below this level the tank counts as empty and sessions are refused. */
const EMPTY_BELOW_PERCENT = 1;

export const WATER_ALARMS = { leak: 'water.leak', tankLow: 'water.tank-low', filterDue: 'water.filter-due' } as const satisfies Record<string, AlarmName>;

export interface WaterServiceOptions {
  device: string;
  /** Its valve (`setDispensing`); its readings come through `update`. */
  dispenser: WaterDispenser;
  alarms: AlarmSink;
  recorder: ReportedEvents;
  log: Logger;
  clock?: Clock | undefined;
  limits?: Partial<WaterLimits>;
}

interface Session {
  sub: string | undefined;
  /** When the dispenser first read `dispensing` in this session. */
  startedAt: number | undefined;
  cancelIdle: () => void;
}

/**
 * Water for one dispenser (devices.md §4). The valve (`setDispensing`) is open only while a
 * session granted by `dispense` runs and no leak is reported; every reading compares that wish
 * with the valve the dispenser reports and writes it again if they differ, so a failed write or a
 * dispenser that restarted with its valve open is corrected on the next poll. A dispenser that
 * cannot report its valve (`valveOpen` undefined) is compared with the last value written, so its
 * valve is written closed on the first reading after every start. A draw is logged as
 * `water.dispensed` when `dispensing` goes true → false, with the volume the dispenser counted.
 */
export class WaterService extends EventEmitter<{ changed: [] }> {
  private readonly clock: Clock;
  private readonly limits: WaterLimits;
  private online = false;
  private tankLevel: number | undefined;
  private dispensing: boolean | undefined;
  private sessionVolume = 0;
  private session: Session | undefined;
  private readonly leak = new Latch(SENSOR_CLEAR_MS);
  private readonly tankLow = new Latch();
  private readonly filterDue = new Latch(SENSOR_CLEAR_MS);
  private valveWrite: Promise<void> | undefined;
  /** For a dispenser whose valve cannot be read back: the last value written. */
  private valveWritten: boolean | undefined;
  /** The dispenser rejected its valve command as UNSUPPORTED: it cannot serve water, and is not written again. */
  private valveUnsupported = false;
  private reconciled = false;
  private wasOk: boolean | undefined;

  constructor(private readonly options: WaterServiceOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.limits = { ...DEFAULT_WATER_LIMITS, ...options.limits };
  }

  get device(): string {
    return this.options.device;
  }

  /** An open session is closed (its timer would otherwise outlive the station). */
  stop(): void {
    this.endSession();
  }

  /** Whether a worker can get water now: online, no leak, water in the tank, a valve it can open. */
  ok(): boolean {
    return this.online && !this.leak.active && !this.tankEmpty() && !this.valveUnsupported;
  }

  /** A session is open (granted, not yet drawn or still drawing). */
  busy(): boolean {
    return this.session !== undefined || this.dispensing === true;
  }

  /**
   * Every refusal `dispense` would make now, and nothing else: no session, no valve write. The
   * access logic calls it before it spends the token. Throws AccessDenied with DEVICE_OFFLINE,
   * DEVICE_ERROR (a leak, an empty tank, a valve the dispenser cannot switch) or BUSY.
   */
  check(): void {
    const { device } = this.options;
    if (!this.online) throw new AccessDenied('DEVICE_OFFLINE', `${device} is offline`);
    if (this.leak.active) throw new AccessDenied('DEVICE_ERROR', `${device} reports a leak`);
    if (this.tankEmpty()) throw new AccessDenied('DEVICE_ERROR', `${device}: the tank is empty`);
    if (this.valveUnsupported) throw new AccessDenied('DEVICE_ERROR', `${device} cannot switch its valve (its profile binds no valve command)`);
    if (this.busy()) throw new AccessDenied('BUSY', `${device} is busy with another session`);
  }

  /**
   * The `dispense` command after the token was accepted: opens the valve for one draw. Refuses
   * as `check` does (the dispenser may have changed since), or with DEVICE_ERROR when the valve
   * write failed.
   */
  async dispense(request: { sub?: string }): Promise<{ device: string; idleSeconds: number }> {
    const { device, dispenser } = this.options;
    this.check();
    const session: Session = { sub: request.sub, startedAt: undefined, cancelIdle: this.clock.after(this.limits.sessionIdleMs, () => this.idleTimeout(session)) };
    this.session = session;
    try {
      await dispenser.setDispensing(true);
      this.valveWritten = true;
    } catch (err) {
      if (this.session === session) this.endSession();
      if (isUnsupported(err)) {
        this.valveUnsupported = true;
        this.emitIfChanged();
      }
      throw new AccessDenied('DEVICE_ERROR', `${device} did not open its valve: ${String(err)}`);
    }
    return { device, idleSeconds: Math.round(this.limits.sessionIdleMs / 1000) };
  }

  /** Feed every reading of the dispenser (`dispenser.reading(state)` for each state of its DeviceMonitor). */
  update(reading: DispenserReading): void {
    this.online = reading.online;
    if (reading.online) {
      this.tankLevel = reading.tankLevel;
      this.checkAlarms(reading.leak, reading.filterDue);
      this.followSession(reading.dispensing, reading.sessionVolume);
      this.reconcileValve(reading.valveOpen);
    }
    this.emitIfChanged();
  }

  private checkAlarms(leak: boolean, filterDue: boolean): void {
    const { alarms, device, log } = this.options;
    const now = this.clock.now();
    const level = this.tankLevel;
    switch (this.leak.update(leak, !leak, now)) {
      case 'raised':
        alarms.raise({ alarm: WATER_ALARMS.leak, severity: 'critical', device });
        log.error('leak: valve closed');
        // A session that never drew ends here; one drawing ends when the closed valve stops it.
        if (this.session && !this.dispensing) this.endSession();
        break;
      case 'cleared':
        alarms.clear(WATER_ALARMS.leak, device);
    }
    const low = level !== undefined && level <= this.limits.tankLowPercent;
    const refilled = level !== undefined && level >= this.limits.tankOkPercent;
    const lowChange = this.tankLow.update(low, refilled, now);
    if (lowChange === 'raised') alarms.raise({ alarm: WATER_ALARMS.tankLow, severity: 'warning', device, detail: { tankLevel: level ?? null } });
    else if (lowChange === 'cleared') alarms.clear(WATER_ALARMS.tankLow, device);
    const filterChange = this.filterDue.update(filterDue, !filterDue, now);
    if (filterChange === 'raised') alarms.raise({ alarm: WATER_ALARMS.filterDue, severity: 'warning', device });
    else if (filterChange === 'cleared') alarms.clear(WATER_ALARMS.filterDue, device);
    if (!this.reconciled) {
      this.reconciled = true;
      const activeNow = new Set<string>();
      if (this.leak.active) activeNow.add(WATER_ALARMS.leak);
      if (this.tankLow.active) activeNow.add(WATER_ALARMS.tankLow);
      if (this.filterDue.active) activeNow.add(WATER_ALARMS.filterDue);
      clearStaleAlarms(alarms, device, (a) => Object.values<string>(WATER_ALARMS).includes(a), activeNow);
    }
  }

  private followSession(dispensing: boolean, volume: number | undefined): void {
    const was = this.dispensing;
    this.dispensing = dispensing;
    if (volume !== undefined) this.sessionVolume = volume;
    // The first reading after start is a baseline, not a transition.
    if (was === undefined) return;
    if (dispensing && !was) {
      if (this.session) {
        this.session.startedAt = this.clock.now();
        this.session.cancelIdle();
      }
    } else if (!dispensing && was) {
      const session = this.session;
      const ml = Math.max(0, Math.round(this.sessionVolume));
      this.options.recorder.record({
        type: 'water.dispensed',
        device: this.options.device,
        data: {
          ml,
          litres: ml / 1000,
          sub: session?.sub,
          startedAt: session?.startedAt !== undefined ? new Date(session.startedAt).toISOString() : undefined,
        },
      });
      this.endSession();
    }
  }

  private idleTimeout(session: Session): void {
    if (this.session !== session || this.dispensing) return;
    this.options.log.info('nobody drew water: session closed');
    this.endSession();
  }

  private endSession(): void {
    this.session?.cancelIdle();
    this.session = undefined;
  }

  private tankEmpty(): boolean {
    return this.tankLevel !== undefined && this.tankLevel < EMPTY_BELOW_PERCENT;
  }

  private reconcileValve(reported: boolean | undefined): void {
    const wanted = this.session !== undefined && !this.leak.active;
    const differs = reported !== undefined ? reported !== wanted : this.valveWritten !== wanted;
    if (!differs || this.valveWrite || this.valveUnsupported) return;
    const { log } = this.options;
    this.valveWrite = this.options.dispenser
      .setDispensing(wanted)
      .then(() => {
        this.valveWritten = wanted;
      })
      .catch((err: unknown) => {
        if (!isUnsupported(err)) {
          log.warn({ wanted, err: String(err) }, 'valve command failed; retried on the next reading');
          return;
        }
        this.valveUnsupported = true;
        log.error({ wanted, err: String(err) }, 'the dispenser has no valve command (UNSUPPORTED): water refused; not retried');
        this.emitIfChanged();
      })
      .finally(() => {
        this.valveWrite = undefined;
      });
  }

  private emitIfChanged(): void {
    const ok = this.ok();
    if (ok !== this.wasOk) {
      this.wasOk = ok;
      this.emit('changed');
    }
  }
}

function isUnsupported(err: unknown): boolean {
  return err instanceof DeviceError && err.code === 'UNSUPPORTED';
}
