import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank } from '../register-bank.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * Water dispenser (devices.md §4), idle for now: a thermostat holds the hot tank near 90 °C, the
 * tank refills from a healthy supply. Coils and maxSessionVolume belong to the master: the model
 * sets them once at power-up and then only reads them.
 */

const HEATER_ON_BELOW_C = 88;
const HEATER_OFF_ABOVE_C = 92;
const HEAT_RATE_C_PER_S = 0.08;
const COOL_RATE_C_PER_S = 0.01;
const REFILL_RATE_PCT_PER_S = 0.05;
const FILTER_DUE_AT_PCT = 10;
const DEFAULT_MAX_SESSION_ML = 1000;

export class WaterDispenserModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  private readonly random: Random;
  private hotTemp: number;
  private heaterOn = false;
  private tankLevel: number;
  private readonly filterLife: number;
  private readonly totalVolume: number;

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.random = mulberry32(options.seed ?? 2);
    this.hotTemp = 88 + 4 * this.random();
    this.tankLevel = 70 + Math.floor(25 * this.random());
    this.filterLife = 40 + Math.floor(55 * this.random());
    this.totalVolume = Math.floor(5_000_000 * this.random());
    this.view.mapAddresses();
    this.view.set('maxSessionVolume', DEFAULT_MAX_SESSION_ML);
    this.view.set('dispensingEnabled', true);
    this.view.set('hotWaterLock', false);
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  private step(seconds: number): void {
    if (this.hotTemp < HEATER_ON_BELOW_C) this.heaterOn = true;
    else if (this.hotTemp > HEATER_OFF_ABOVE_C) this.heaterOn = false;
    const drift = this.heaterOn ? HEAT_RATE_C_PER_S : -COOL_RATE_C_PER_S;
    this.hotTemp = clamp(this.hotTemp + drift * seconds + (this.random() - 0.5) * 0.02, 0, 99);
    this.tankLevel = Math.min(100, this.tankLevel + REFILL_RATE_PCT_PER_S * seconds);
  }

  private publish(): void {
    const v = this.view;
    v.set('status', { supplyOk: true, leak: false, heaterOn: this.heaterOn, filterDue: this.filterLife <= FILTER_DUE_AT_PCT });
    v.set('hotTemp', Math.round(this.hotTemp * 10) / 10);
    v.set('tankLevel', Math.floor(this.tankLevel));
    v.set('filterLife', this.filterLife);
    v.set('totalVolume', this.totalVolume % 2 ** 32);
    v.set('session', 0);
    v.set('sessionVolume', 0);
  }
}
