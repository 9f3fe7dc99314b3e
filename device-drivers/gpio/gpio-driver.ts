import type { Logger } from 'pino';
import { keepAliveClock, type Clock } from '../../config/clock.js';
import type { DoorController, OccupancySensor, SmokeDetector } from '../capabilities/capabilities.js';
import type { DeviceDriver, DeviceEvent } from '../device.js';
import type { DeviceState, Points } from '../device-state.js';
import { DeviceError } from '../device-error.js';
import { Listeners } from '../listeners.js';
import type { GpioBoard, GpioConnection, GpioOutput, GpioPin } from './gpio-board.js';

/** What each pin of a GPIO device does; every one is optional, the config says which exist. */
export interface GpioPins {
  /** PIR motion sensor (high = motion). */
  presence?: GpioPin | undefined;
  /** Relay that releases an electric strike. */
  strike?: GpioPin | undefined;
  /** Inside exit button, to ground. */
  exitButton?: GpioPin | undefined;
  /** Door contact, to ground: closed door = closed contact. */
  doorContact?: GpioPin | undefined;
  /** Status LED: lit while the strike is released (or, with no strike, while presence is seen). */
  statusLed?: GpioPin | undefined;
  /** A smoke detector's alarm contact, to ground (the board's pull-up is used). */
  smoke?: GpioPin | undefined;
}

/**
 * How the smoke contact is wired. Normally open (the default, as the station config documents
 * pins.smoke: to ground on alarm) or normally closed, which is fail-safe: a cut wire or a
 * detector without power opens the contact and reads as a detector fault.
 */
export type SmokeContact = 'normally-closed' | 'normally-open';

export type GpioKind = 'occupancy' | 'door-lock' | 'smoke-detector';

export interface GpioDriverOptions {
  kind: GpioKind;
  board: GpioBoard;
  pins: GpioPins;
  strikeActiveLow: boolean;
  /** How long the exit button releases the strike. */
  exitUnlockMs: number;
  /** Default normally-open. */
  smokeContact?: SmokeContact | undefined;
  /** The relock timer's; keeps the process alive like any live work, unless a test drives it. */
  clock?: Clock | undefined;
  log: Logger;
}

/** A GPIO door is one door: the number resources and events use for it. */
export const GPIO_DOOR = 1;

export const GPIO_MODEL = 'gpio-firmata';

/**
 * A PIR sensor and/or a door without a controller (strike relay, exit button, contact, LED)
 * on a Firmata board. Events use the door lock's names (`exit.pressed`, `door.opened`,
 * `door.closed`) so the rest of the gateway treats both doors alike; presence changes are
 * `presence.changed`. Pins are set up again on every new link to the board.
 */
export class GpioDriver implements DeviceDriver {
  readonly kind: GpioKind;
  readonly model = GPIO_MODEL;
  private link: GpioConnection | undefined;
  private strike: GpioOutput | undefined;
  private led: GpioOutput | undefined;
  private presence: boolean | null = null;
  private doorOpen: boolean | null = null;
  private smoke: boolean | null = null;
  private cancelRelock: (() => void) | undefined;
  private readonly clock: Clock;
  /** Fire egress: the strike stays released until told otherwise, whatever else relocks. */
  private heldReleased = false;
  private readonly listeners = new Listeners<DeviceEvent>((err, event) => this.options.log.error({ err, type: event.type }, 'GPIO event listener threw'));
  readonly capability: DoorController | OccupancySensor | SmokeDetector;

  constructor(private readonly options: GpioDriverOptions) {
    this.kind = options.kind;
    this.clock = options.clock ?? keepAliveClock;
    this.capability = this.capabilityOf(options.kind);
  }

  async open(): Promise<void> {
    try {
      await this.ensureLinked();
    } catch (err) {
      // An absent board is a health state: read() keeps reporting DISCONNECTED until it is back.
      this.options.log.warn({ err: String(err) }, 'GPIO board not reachable; will retry on read');
    }
  }

  async close(): Promise<void> {
    this.relock();
    this.link = undefined;
    // The board is shared by the devices on it and closed by whoever created it.
  }

  async read(): Promise<Points> {
    await this.ensureLinked();
    const { pins } = this.options;
    const points: Points = {};
    if (pins.presence !== undefined) points['presence'] = this.presence;
    if (pins.smoke !== undefined) points['smoke'] = this.smoke;
    if (pins.strike !== undefined) {
      const contact = this.doorOpen === null ? null : this.doorOpen ? 'open' : 'closed';
      points['doors'] = { [String(GPIO_DOOR)]: { bolt: this.strike?.on ? 'unlocked' : 'locked', door: contact } };
    }
    return points;
  }

  deadbands(): Record<string, number> {
    return {};
  }

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Releases the strike for `ms`, then relocks; the same result shape as the door lock driver. */
  async unlock(door: number, ms: number): Promise<{ door: number; released: true; acknowledged: boolean }> {
    this.checkDoor(door);
    await this.ensureLinked();
    this.releaseFor(ms);
    return { door, released: true, acknowledged: true };
  }

  /**
   * Holds the strike released (true) until released(false): fire egress. A timed unlock or the
   * exit button does not relock a held door, and a board that comes back is released again.
   */
  async holdReleased(on: boolean): Promise<void> {
    this.checkDoor(GPIO_DOOR);
    this.heldReleased = on;
    await this.ensureLinked();
    if (on) {
      this.stopRelockTimer();
      this.strike?.set(true);
      this.setLed(true);
    } else this.relock();
  }

  private capabilityOf(kind: GpioKind): DoorController | OccupancySensor | SmokeDetector {
    switch (kind) {
      case 'door-lock':
        return { kind, unlock: (door, ms) => this.unlock(door, ms), release: (on) => this.holdReleased(on) };
      case 'occupancy':
        return {
          kind,
          reading: (state: DeviceState) => {
            const p = state.points['presence'];
            // A PIR sees someone or no one: presence counts as one person.
            return { online: state.online, usable: state.online, people: typeof p === 'boolean' ? (p ? 1 : 0) : undefined, stillSeconds: undefined };
          },
        };
      case 'smoke-detector':
        return {
          kind,
          reading: (state: DeviceState) => {
            const smoke = state.points['smoke'];
            return { online: state.online, smoke: smoke === true, fault: state.online && typeof smoke !== 'boolean' };
          },
        };
    }
  }

  async lock(door: number): Promise<void> {
    this.checkDoor(door);
    await this.ensureLinked();
    this.relock();
  }

  private checkDoor(door: number): void {
    if (this.options.pins.strike === undefined) throw new DeviceError('REFUSED', 'this GPIO device has no strike relay', { code: 'BADDOOR' });
    if (door !== GPIO_DOOR) throw new DeviceError('REFUSED', `a GPIO door is door ${GPIO_DOOR}, not ${door}`, { code: 'BADDOOR', door });
  }

  private async ensureLinked(): Promise<void> {
    if (this.link?.alive) return;
    const link = await this.options.board.connect();
    if (link === this.link) return;
    this.attach(link);
  }

  private attach(link: GpioConnection): void {
    const { pins, strikeActiveLow, log } = this.options;
    this.stopRelockTimer();
    this.presence = null;
    this.doorOpen = null;
    // The board only reports a change from the pin's idle (open contact) level: an open
    // normally-open contact is never reported, and means no smoke. An open normally-closed one is
    // a cut wire or a dead detector, left unknown (a detector fault) rather than called a fire.
    this.smoke = (this.options.smokeContact ?? 'normally-open') === 'normally-open' ? false : null;
    this.strike = pins.strike !== undefined ? link.relay(pins.strike, { activeLow: strikeActiveLow }) : undefined;
    this.led = pins.statusLed !== undefined ? link.led(pins.statusLed) : undefined;
    if (pins.presence !== undefined) link.motionSensor(pins.presence, (active) => this.onPresence(active));
    if (pins.exitButton !== undefined) link.button(pins.exitButton, (pressed) => pressed && this.onExit());
    // The contact is wired like a button: closed door pulls the pin low, i.e. "pressed".
    if (pins.doorContact !== undefined) link.button(pins.doorContact, (closed) => this.onDoor(!closed));
    // Wired like a button too: a closed contact pulls the pin low.
    const smokeWhenClosed = (this.options.smokeContact ?? 'normally-open') === 'normally-open';
    if (pins.smoke !== undefined) link.button(pins.smoke, (closed) => this.onSmoke(closed === smokeWhenClosed));
    link.onLost(() => {
      if (this.link === link) log.warn('GPIO pins lost with the board');
    });
    this.link = link;
    if (this.heldReleased && this.strike) {
      this.strike.set(true);
      this.setLed(true);
    }
  }

  private onPresence(active: boolean): void {
    if (active === this.presence) return;
    this.presence = active;
    if (!this.strike) this.setLed(active);
    this.listeners.emit({ type: 'presence.changed', data: { presence: active } });
  }

  private onExit(): void {
    this.listeners.emit({ type: 'exit.pressed', data: { door: GPIO_DOOR } });
    // With no controller in between, the gateway is what releases the door for egress.
    if (this.strike) this.releaseFor(this.options.exitUnlockMs);
  }

  private onSmoke(smoke: boolean): void {
    if (smoke === this.smoke) return;
    this.smoke = smoke;
    this.listeners.emit({ type: 'smoke.changed', data: { smoke } });
  }

  private onDoor(open: boolean): void {
    const known = this.doorOpen !== null;
    if (open === this.doorOpen) return;
    this.doorOpen = open;
    // The first report after connecting is the state, not a change.
    if (known) this.listeners.emit({ type: open ? 'door.opened' : 'door.closed', data: { door: GPIO_DOOR } });
  }

  private releaseFor(ms: number): void {
    if (!this.strike) return;
    this.stopRelockTimer();
    this.strike.set(true);
    this.setLed(true);
    this.cancelRelock = this.clock.after(ms, () => this.relock());
  }

  private stopRelockTimer(): void {
    this.cancelRelock?.();
    this.cancelRelock = undefined;
  }

  private relock(): void {
    this.stopRelockTimer();
    if (!this.link?.alive || this.heldReleased) return;
    this.strike?.set(false);
    if (this.strike) this.setLed(false);
  }

  private setLed(on: boolean): void {
    if (this.link?.alive) this.led?.set(on);
  }
}
