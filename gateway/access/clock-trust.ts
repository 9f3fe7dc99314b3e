import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { TimeFloor } from '../store/time-floor.js';

/** systemd-timesyncd creates this file once it has synchronised the clock (systemd ≥ 239). */
export const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

export type ClockMode = 'ntp' | 'system';

export interface ClockReading {
  /** The time the access checks use: the clock, or the floor when the clock is behind it. */
  now: Date;
  trusted: boolean;
  reason: 'system' | 'synchronised' | 'unsynchronised' | 'behind-floor';
  /** The newest trusted time seen, if any. */
  floor: Date | undefined;
}

export interface ClockTrustOptions {
  mode: ClockMode;
  floor: TimeFloor;
  skewMs: number;
  log: Logger;
  /** Whether NTP has synchronised the clock; defaults to systemd-timesyncd's flag file. */
  synchronised?: () => boolean;
  clock?: () => Date;
}

/**
 * Whether the box's clock can be believed, for token expiry. A Pi has no real-time clock: after a
 * power cut with no network it restarts from the last saved time, possibly hours behind. The
 * clock is trusted in `system` mode (a box with an RTC), or in `ntp` mode once NTP synchronised it
 * during this boot (a synchronised clock stays good while the box runs). Otherwise the access
 * logic applies its untrusted-clock policy against the time floor: the newest trusted time the
 * station has seen, kept in the store, which only moves forward.
 */
export class ClockTrust {
  private synchronisedThisBoot = false;
  private readonly clock: () => Date;
  private readonly synchronised: () => boolean;
  private lastReason: ClockReading['reason'] | undefined;
  private floorUnsaved = false;

  constructor(private readonly options: ClockTrustOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.synchronised = options.synchronised ?? (() => existsSync(TIMESYNC_FLAG));
  }

  read(): ClockReading {
    const now = this.clock();
    const floor = this.options.floor.get()?.at;
    let reading: ClockReading;
    if (this.options.mode === 'system') reading = { now, trusted: true, reason: 'system', floor };
    else if (this.synchronisedThisBoot || (this.synchronisedThisBoot = this.synchronised())) reading = { now, trusted: true, reason: 'synchronised', floor };
    else if (floor && now.getTime() < floor.getTime() - this.options.skewMs) reading = { now: floor, trusted: false, reason: 'behind-floor', floor };
    else reading = { now, trusted: false, reason: 'unsynchronised', floor };
    if (reading.reason !== this.lastReason) {
      // Logged on change only: a clock state is a condition, not an event per scan.
      this.lastReason = reading.reason;
      const fields = { reason: reading.reason, clock: now.toISOString(), floor: floor?.toISOString() };
      if (reading.trusted) this.options.log.info(fields, 'clock trusted');
      else this.options.log.warn(fields, 'clock not trusted: tokens are checked against the time floor');
    }
    return reading;
  }

  /** Moves the floor to the trusted clock; the runtime calls it every minute. */
  tick(): void {
    const r = this.read();
    if (r.trusted) this.options.floor.raise(r.now, r.reason === 'system' ? 'clock' : 'ntp');
    else this.options.floor.persist();
    this.noteUnsaved();
  }

  /** A time known to have passed, e.g. the `iat` of a token whose signature verified. */
  observed(at: Date, source: string): void {
    this.options.floor.raise(at, source);
    this.noteUnsaved();
  }

  /** A floor the disk could not take is used from memory; logged when that starts and ends. */
  private noteUnsaved(): void {
    const unsaved = this.options.floor.unsaved;
    if (unsaved === this.floorUnsaved) return;
    this.floorUnsaved = unsaved;
    const at = this.options.floor.get()?.at.toISOString();
    if (unsaved) this.options.log.error({ floor: at, code: 'STORE_FULL' }, 'disk full: the time floor moves in memory and is written when there is room');
    else this.options.log.info({ floor: at }, 'time floor written again');
  }
}
