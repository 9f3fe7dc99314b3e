import { clamp, forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank, type MasterWrite } from '../register-bank.js';
import { RoleView } from '../role-view.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * Water dispenser (devices.md §4). A thermostat holds the hot tank near 90 °C; the tank refills
 * from the supply while it is healthy. A session dispenses at a tap's flow until the volume asked
 * for, maxSessionVolume, an empty tank or the master's `dispensingEnabled = 0` ends it; the volume
 * counts into sessionVolume and totalVolume as it flows, and sessionVolume keeps the last
 * session's volume after `session` goes 1 → 0, which is when the gateway logs the usage.
 * Sessions start on a command (`water-1 session 500`), or a few seconds after the master turns
 * dispensing on again (0 → 1): a worker the gateway let in is drawing water.
 * Written through the profile's role bindings (leak, dispensing, valveOpen, ...), and the valve
 * follows the command role enableDispensing whatever its shape; a dispenser that lacks valve
 * readback simply reports no valve. Points no role covers (supply, heater, filter life, total
 * volume, the session cap) keep the reference names where the vendor's map has them.
 */

const HEATER_ON_BELOW_C = 88;
const HEATER_OFF_ABOVE_C = 92;
const HEAT_RATE_C_PER_S = 0.08;
const COOL_RATE_C_PER_S = 0.01;
const REFILL_RATE_PCT_PER_S = 0.05;
const FILTER_DUE_AT_PCT = 10;
const DEFAULT_MAX_SESSION_ML = 1000;
/** About 1.5 l/min, a drinking-water tap. */
const FLOW_ML_PER_S = 25;
const TANK_ML = 20_000;
/** A filter cartridge is good for about 4000 l. */
const FILTER_ML_PER_PCT = 40_000;
const LEAK_DRAIN_PCT_PER_S = 0.02;
const WORKER_DELAY_MIN_MS = 1000;
const WORKER_DELAY_SPREAD_MS = 2000;

export interface DispenserSnapshot {
  supplyOk: boolean;
  leak: boolean;
  heaterOn: boolean;
  hotTemp: number;
  tankLevel: number;
  filterLife: number;
  totalVolume: number;
  session: 'idle' | 'dispensing';
  sessionVolume: number;
  sessionTarget: number;
  dispensingEnabled: boolean;
}

export class WaterDispenserModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly roles: RoleView;
  private readonly random: Random;
  /** The valve, as the master last set it through enableDispensing. */
  private valveOpen = true;
  private hotTemp: number;
  private heaterOn = false;
  private tankLevel: number;
  private filterLife: number;
  private totalVolume: number;
  private supplyOk = true;
  private leak = false;
  private session: { target: number } | undefined;
  private sessionVolume = 0;
  /** A worker is about to draw water (after the master enabled dispensing). */
  private workerInMs: number | undefined;

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.roles = new RoleView(this.view);
    this.random = mulberry32(options.seed ?? 2);
    this.hotTemp = 88 + 4 * this.random();
    this.tankLevel = 70 + Math.floor(25 * this.random());
    this.filterLife = 40 + Math.floor(55 * this.random());
    this.totalVolume = Math.floor(5_000_000 * this.random());
    this.view.mapAddresses();
    this.view.set('maxSessionVolume', DEFAULT_MAX_SESSION_ML);
    this.roles.showCommand('enableDispensing', 0, true);
    this.view.set('hotWaterLock', false);
    this.bank.onMasterWrite((write) => this.onMasterWrite(write));
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  /** Starts a session that draws `ml` (capped at maxSessionVolume); throws when the dispenser would refuse. */
  startSession(ml: number): void {
    if (!(Number.isInteger(ml) && ml > 0 && ml <= 65535)) throw new RangeError(`session volume ${ml} ml is not 1..65535`);
    if (this.session) throw new Error('a session is already running');
    if (!this.enabled()) throw new Error('dispensing is disabled (the master closed the valve)');
    if (this.tankLevel <= 0) throw new Error('the tank is empty');
    const max = Number(this.view.get('maxSessionVolume') ?? DEFAULT_MAX_SESSION_ML);
    this.session = { target: Math.min(ml, max > 0 ? max : ml) };
    this.sessionVolume = 0;
    this.publish();
  }

  /** The worker lets go of the button. */
  endSession(): void {
    this.session = undefined;
    this.publish();
  }

  setLeak(on: boolean): void {
    this.leak = on;
    this.publish();
  }

  setSupply(ok: boolean): void {
    this.supplyOk = ok;
    this.publish();
  }

  setTankLevel(pct: number): void {
    if (!(pct >= 0 && pct <= 100)) throw new RangeError(`tank level ${pct} % is not 0..100`);
    this.tankLevel = pct;
    this.publish();
  }

  setFilterLife(pct: number): void {
    if (!(pct >= 0 && pct <= 100)) throw new RangeError(`filter life ${pct} % is not 0..100`);
    this.filterLife = pct;
    this.publish();
  }

  snapshot(): DispenserSnapshot {
    return {
      supplyOk: this.supplyOk,
      leak: this.leak,
      heaterOn: this.heaterOn,
      hotTemp: Math.round(this.hotTemp * 10) / 10,
      tankLevel: Math.floor(this.tankLevel),
      filterLife: Math.floor(this.filterLife),
      totalVolume: Math.floor(this.totalVolume) % 2 ** 32,
      session: this.session ? 'dispensing' : 'idle',
      sessionVolume: Math.floor(this.sessionVolume),
      sessionTarget: this.session?.target ?? 0,
      dispensingEnabled: this.enabled(),
    };
  }

  private enabled(): boolean {
    return this.valveOpen;
  }

  private step(seconds: number): void {
    if (this.hotTemp < HEATER_ON_BELOW_C) this.heaterOn = true;
    else if (this.hotTemp > HEATER_OFF_ABOVE_C) this.heaterOn = false;
    const drift = this.heaterOn ? HEAT_RATE_C_PER_S : -COOL_RATE_C_PER_S;
    this.hotTemp = clamp(this.hotTemp + drift * seconds + (this.random() - 0.5) * 0.02, 0, 99);
    if (this.supplyOk) this.tankLevel = Math.min(100, this.tankLevel + REFILL_RATE_PCT_PER_S * seconds);
    if (this.leak) this.tankLevel = Math.max(0, this.tankLevel - LEAK_DRAIN_PCT_PER_S * seconds);
    if (this.workerInMs !== undefined) {
      this.workerInMs -= seconds * 1000;
      if (this.workerInMs <= 0) {
        this.workerInMs = undefined;
        if (!this.session && this.enabled() && this.tankLevel > 0) this.startSession(250 + 50 * Math.floor(this.random() * 11));
      }
    }
    this.flow(seconds);
  }

  private flow(seconds: number): void {
    const session = this.session;
    if (!session) return;
    if (!this.enabled() || this.tankLevel <= 0) {
      this.session = undefined;
      return;
    }
    const ml = Math.min(FLOW_ML_PER_S * seconds, session.target - this.sessionVolume, (this.tankLevel * TANK_ML) / 100);
    this.sessionVolume += ml;
    this.totalVolume += ml;
    this.tankLevel = Math.max(0, this.tankLevel - (100 * ml) / TANK_ML);
    this.filterLife = Math.max(0, this.filterLife - ml / FILTER_ML_PER_PCT);
    if (this.sessionVolume >= session.target - 1e-6 || this.tankLevel <= 0) this.session = undefined;
  }

  private onMasterWrite(write: MasterWrite): void {
    for (const hit of this.roles.decodeCommandWrite(write, 1)) {
      if (hit.role !== 'enableDispensing') continue;
      const was = this.valveOpen;
      this.valveOpen = hit.on;
      if (!hit.on) {
        this.session = undefined;
        this.workerInMs = undefined;
      } else if (!was && !this.session) this.workerInMs = WORKER_DELAY_MIN_MS + this.random() * WORKER_DELAY_SPREAD_MS;
    }
    this.publish();
  }

  /** The registers show what snapshot() reports, rounded the same way. */
  private publish(): void {
    const v = this.view;
    const r = this.roles;
    const s = this.snapshot();
    const filterDue = this.filterLife <= FILTER_DUE_AT_PCT;
    v.set('status', { supplyOk: s.supplyOk, heaterOn: s.heaterOn, leak: s.leak, filterDue });
    v.set('filterLife', s.filterLife);
    v.set('totalVolume', s.totalVolume);
    r.setFlag('leak', s.leak);
    r.setFlag('filterDue', filterDue);
    r.setFlag('dispensing', s.session === 'dispensing');
    r.setNumber('sessionVolume', Math.min(65535, s.sessionVolume));
    r.setNumber('tankLevel', s.tankLevel);
    r.setNumber('hotTemperature', s.hotTemp);
    r.setFlag('valveOpen', s.dispensingEnabled);
  }
}
