import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank } from '../register-bank.js';
import { RoleView } from '../role-view.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * A photoelectric smoke detector on Modbus, written through its profile's roles (smoke,
 * sensorFault). The chamber's obscuration drifts near zero in clean air; smoke (`smoke on`)
 * raises it past the alarm threshold within seconds, and the alarm holds until it falls below
 * the clear threshold again, as a detector's hysteresis does. A detector in fault reports the
 * fault and no smoke: it cannot see. Points no role covers (obscuration, supply voltage, a dirty
 * chamber) keep the reference names where the vendor's map has them.
 */

const ALARM_AT_PCT_PER_M = 3;
const CLEAR_BELOW_PCT_PER_M = 1.5;
const SMOKE_PCT_PER_M = 8;
/** The chamber fills or clears with a time constant of a few seconds. */
const CHAMBER_SECONDS = 4;
const SUPPLY_V = 24;

export interface SmokeDetectorSnapshot {
  smoke: boolean;
  fault: boolean;
  obscuration: number;
  /** Smoke in the air around the detector, as the crew set it. */
  smokeInAir: boolean;
}

export class SmokeDetectorModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly roles: RoleView;
  private readonly random: Random;
  private smokeInAir = false;
  private fault = false;
  private obscuration: number;
  private alarm = false;

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.roles = new RoleView(this.view);
    this.random = mulberry32(options.seed ?? 4);
    this.obscuration = 0.1 * this.random();
    this.view.mapAddresses();
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  /** Smoke reaches the detector (the alarm sets at once: a crew's test aerosol is dense). */
  setSmoke(on: boolean): void {
    this.smokeInAir = on;
    if (on) this.obscuration = Math.max(this.obscuration, SMOKE_PCT_PER_M);
    else this.obscuration = Math.min(this.obscuration, 0.1);
    this.updateAlarm();
    this.publish();
  }

  setFault(on: boolean): void {
    this.fault = on;
    this.updateAlarm();
    this.publish();
  }

  snapshot(): SmokeDetectorSnapshot {
    return { smoke: this.alarm, fault: this.fault, obscuration: Math.round(this.obscuration * 100) / 100, smokeInAir: this.smokeInAir };
  }

  private step(seconds: number): void {
    const target = this.smokeInAir ? SMOKE_PCT_PER_M : 0.05;
    const k = Math.min(1, seconds / CHAMBER_SECONDS);
    this.obscuration = clamp(this.obscuration + (target - this.obscuration) * k + (this.random() - 0.5) * 0.01, 0, 20);
    this.updateAlarm();
  }

  private updateAlarm(): void {
    if (this.fault) this.alarm = false;
    else if (this.obscuration >= ALARM_AT_PCT_PER_M) this.alarm = true;
    else if (this.obscuration < CLEAR_BELOW_PCT_PER_M) this.alarm = false;
  }

  private publish(): void {
    const s = this.snapshot();
    this.view.set('status', { smoke: s.smoke, fault: s.fault, dirtyChamber: false });
    this.view.set('obscuration', s.obscuration);
    this.view.set('supplyVoltage', SUPPLY_V);
    this.roles.setFlag('smoke', s.smoke);
    this.roles.setFlag('sensorFault', s.fault);
  }
}
