import type { Logger } from 'pino';
import type { DoorController } from '../../device-drivers/capabilities/capabilities.js';
import { type ReportedEvents } from './station-ports.js';
import { systemClock, type Clock } from '../../config/clock.js';

/** Something that can report smoke (a cabinet's safety, a smoke detector's watch). */
export interface SmokeSource {
  readonly device: string;
  smokeActive(): boolean;
  on(event: 'changed', listener: () => void): unknown;
  off(event: 'changed', listener: () => void): unknown;
}

/** A cabinet whose charging the fire response holds off (CabinetSafety). */
export interface ChargingHold {
  readonly device: string;
  holdCharging(reason: string | undefined): void;
}

export interface FireDoor {
  device: string;
  door: number;
  controller: DoorController;
}

export interface FireResponseOptions {
  sources: readonly SmokeSource[];
  cabinets: readonly ChargingHold[];
  doors: readonly FireDoor[];
  /** Told of every release, so a door pushed open in the fire is not `door.forced`. */
  allowOpen: (device: string, door: number, ms: number) => void;
  recorder: ReportedEvents;
  log: Logger;
  clock?: Clock | undefined;
  /** A controller that can only release for a time is re-released this often while the fire lasts. */
  pulseMs?: number;
}

export const FIRE_PULSE_MS = 15_000;

/**
 * What smoke anywhere in the station does, whichever device saw it: every cabinet stops
 * charging, and every entrance door is released for egress and for firefighters until the smoke
 * has cleared (GB 55037-2022 asks access-controlled evacuation doors to release by themselves in
 * a fire). Closing the station to workers is availability's and the access logic's, by the same
 * smoke sources. A door whose controller has no lasting release is released again before each
 * timed release runs out; a failed release is retried at the next pulse, never given up.
 */
export class FireResponse {
  private readonly clock: Clock;
  private readonly pulseMs: number;
  private active = false;
  private cancelPulse: (() => void) | undefined;
  private readonly refresh = (): void => this.follow();

  constructor(private readonly options: FireResponseOptions) {
    this.clock = options.clock ?? systemClock;
    this.pulseMs = options.pulseMs ?? FIRE_PULSE_MS;
  }

  start(): void {
    for (const s of this.options.sources) s.on('changed', this.refresh);
    this.follow();
  }

  stop(): void {
    for (const s of this.options.sources) s.off('changed', this.refresh);
    this.cancelPulse?.();
    this.cancelPulse = undefined;
  }

  /** The devices that see smoke now; empty when there is none. */
  smokeAt(): string[] {
    return this.options.sources.filter((s) => s.smokeActive()).map((s) => s.device);
  }

  /** Re-reads the smoke sources; acts on a change. */
  follow(): void {
    const where = this.smokeAt();
    const fire = where.length > 0;
    if (fire === this.active) return;
    this.active = fire;
    const { cabinets, recorder, log } = this.options;
    for (const c of cabinets) c.holdCharging(fire ? 'smoke' : undefined);
    if (fire) {
      log.error({ smokeAt: where }, 'smoke in the station: charging held off in every cabinet, doors being released');
      recorder.record({ type: 'fire.started', data: { smokeAt: where, doors: this.options.doors.length } });
      this.releaseAll();
    } else {
      this.cancelPulse?.();
      this.cancelPulse = undefined;
      log.info('smoke cleared everywhere: doors back to normal, charging allowed again');
      recorder.record({ type: 'fire.ended', data: {} });
      for (const d of this.options.doors) {
        if (d.controller.release) d.controller.release(false).catch((err: unknown) => log.error({ device: d.device, err: String(err) }, 'could not lock a door again after the fire'));
      }
    }
  }

  private releaseAll(): void {
    if (!this.active) return;
    const { doors, allowOpen, log } = this.options;
    for (const d of doors) {
      const release = d.controller.release ? d.controller.release(true) : d.controller.unlock(d.door, this.pulseMs + 2000).then(() => undefined);
      allowOpen(d.device, d.door, this.pulseMs + 2000);
      release.then(
        () => log.debug({ device: d.device, door: d.door }, 'door released for the fire'),
        (err: unknown) => log.error({ device: d.device, door: d.door, err: String(err) }, 'could not release a door in the fire; retried'),
      );
    }
    this.cancelPulse = this.clock.after(this.pulseMs, () => this.releaseAll());
  }
}
