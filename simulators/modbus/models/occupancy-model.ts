import { forEachStep, type DeviceModel, type DeviceModelOptions } from '../device-model.js';
import { ProfileView } from '../profile-view.js';
import { RegisterBank } from '../register-bank.js';
import { mulberry32, type Random } from '../seeded-random.js';

/*
 * mmWave occupancy sensor (devices.md §5). People arrive and leave as Poisson events at rates
 * of minutes, so presence changes slowly; someone present moves every few seconds, which resets
 * stillSeconds. The counter keeps running in an empty room, saturating at 65535 as specified.
 */

const ARRIVAL_PER_S = 1 / 240;
const LEAVE_PER_PERSON_PER_S = 1 / 420;
const MOVE_PER_S = 0.25;
const MAX_PEOPLE = 4;
const STILL_SATURATES_AT = 65535;

export class OccupancyModel implements DeviceModel {
  readonly bank = new RegisterBank();
  readonly view: ProfileView;
  private readonly random: Random;
  private people: number;
  private stillSeconds: number;

  constructor(options: DeviceModelOptions) {
    this.view = new ProfileView(this.bank, options.profile);
    this.random = mulberry32(options.seed ?? 3);
    this.people = this.random() < 0.3 ? 1 : 0;
    this.stillSeconds = this.people > 0 ? 0 : Math.floor(600 * this.random());
    this.view.mapAddresses();
    this.publish();
  }

  tick(dtMs: number): void {
    forEachStep(dtMs, (s) => this.step(s));
    this.publish();
  }

  private step(seconds: number): void {
    if (this.people < MAX_PEOPLE && this.happens(ARRIVAL_PER_S, seconds)) this.people++;
    if (this.people > 0 && this.happens(LEAVE_PER_PERSON_PER_S * this.people, seconds)) this.people--;
    const moved = this.people > 0 && this.happens(MOVE_PER_S, seconds);
    this.stillSeconds = moved ? 0 : Math.min(STILL_SATURATES_AT, this.stillSeconds + seconds);
  }

  /** Whether an event of `ratePerS` occurs within `seconds`. */
  private happens(ratePerS: number, seconds: number): boolean {
    return this.random() < 1 - Math.exp(-ratePerS * seconds);
  }

  private publish(): void {
    this.view.set('presence', this.people > 0 ? 1 : 0);
    this.view.set('people', this.people);
    this.view.set('stillSeconds', Math.floor(this.stillSeconds));
    this.view.set('sensorStatus', 0);
  }
}
