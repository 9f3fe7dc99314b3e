import { forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank } from '../register-bank.js';
import { RoleView } from '../role-view.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * mmWave occupancy sensor (devices.md §5). People arrive and leave as Poisson events at rates
 * of minutes, so presence changes slowly; someone present moves every few seconds, which resets
 * stillSeconds. The counter runs only while someone is inside (saturating at 65535): an empty
 * room reads 0, as docs/device-protocols.md says, so nobody is ever "still" in it.
 * A person who stops moving (`occupancy-1 person still`) neither moves nor leaves until told
 * (`person move`, `person leave`): that is the worker who collapsed, the case the sensor is for.
 * Written through the profile's role bindings: a sensor that only senses presence shows no count,
 * and stillSeconds goes out in the vendor's unit through the binding's scale.
 */

const ARRIVAL_PER_S = 1 / 240;
const LEAVE_PER_PERSON_PER_S = 1 / 420;
const MOVE_PER_S = 0.25;
const MAX_PEOPLE = 4;
const STILL_SATURATES_AT = 65535;

export interface OccupancySnapshot {
  people: number;
  stillSeconds: number;
  still: boolean;
  sensorFault: boolean;
  /** Arrivals and departures by chance; off when a crew or test drives people by hand. */
  wandering: boolean;
}

export class OccupancyModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  readonly roles: RoleView;
  private readonly random: Random;
  private people: number;
  private stillSeconds: number;
  private still = false;
  private sensorFault = false;
  private wandering = true;

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.roles = new RoleView(this.view);
    this.random = mulberry32(options.seed ?? 3);
    this.people = this.random() < 0.3 ? 1 : 0;
    // An empty room once drew a start value here; the draw stays so a seed's future is unchanged.
    if (this.people === 0) this.random();
    this.stillSeconds = 0;
    this.view.mapAddresses();
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  /** Someone walks in: that is movement. */
  enter(): void {
    if (this.people >= 0xffff) return;
    this.people++;
    this.stillSeconds = 0;
    this.publish();
  }

  /** Someone walks out; walking is movement for whoever stays. */
  leave(): void {
    if (this.people === 0) throw new Error('nobody is there');
    this.people--;
    if (this.people === 0) this.still = false;
    this.stillSeconds = 0;
    this.publish();
  }

  setStill(still: boolean): void {
    if (still && this.people === 0) throw new Error('nobody is there to stop moving');
    this.still = still;
    if (!still) this.stillSeconds = 0;
    this.publish();
  }

  setPeople(count: number): void {
    if (!(Number.isInteger(count) && count >= 0 && count <= 0xffff)) throw new RangeError(`people ${count} is not 0..65535`);
    this.people = count;
    if (count === 0) this.still = false;
    this.stillSeconds = 0;
    this.publish();
  }

  setWandering(on: boolean): void {
    this.wandering = on;
  }

  setSensorFault(on: boolean): void {
    this.sensorFault = on;
    this.publish();
  }

  snapshot(): OccupancySnapshot {
    return { people: this.people, stillSeconds: Math.floor(this.stillSeconds), still: this.still, sensorFault: this.sensorFault, wandering: this.wandering };
  }

  private step(seconds: number): void {
    // The draws happen whether or not they are used, so a still person does not shift the seed's future.
    const arrives = this.happens(ARRIVAL_PER_S, seconds);
    const leaves = this.happens(LEAVE_PER_PERSON_PER_S * this.people, seconds);
    const moves = this.happens(MOVE_PER_S, seconds);
    if (this.wandering && !this.still) {
      if (this.people < MAX_PEOPLE && arrives) this.people++;
      if (this.people > 0 && leaves) this.people--;
    }
    const moved = this.people > 0 && !this.still && moves;
    this.stillSeconds = this.people === 0 || moved ? 0 : Math.min(STILL_SATURATES_AT, this.stillSeconds + seconds);
  }

  /** Whether an event of `ratePerS` occurs within `seconds`. */
  private happens(ratePerS: number, seconds: number): boolean {
    return this.random() < 1 - Math.exp(-ratePerS * seconds);
  }

  /** The registers show what snapshot() reports, rounded the same way. */
  private publish(): void {
    const s = this.snapshot();
    const r = this.roles;
    r.setFlag('presence', s.people > 0);
    r.setNumber('people', s.people);
    r.setNumber('stillSeconds', s.stillSeconds);
    r.setFlag('sensorFault', s.sensorFault);
  }
}
