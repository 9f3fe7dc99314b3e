import { isKnownTimeZone } from '../../config/time-zone.js';

/**
 * A time of day window, `HH:MM-HH:MM` on the 24-hour clock in a station's IANA zone, that may wrap
 * midnight (`22:00-06:00`); `00:00-24:00` is the whole day. The end is exclusive.
 *
 * The wall clock comes from `Date`'s local time when the process runs in the station's zone (the
 * gateway sets `TZ` to it at start, gateway/cli/station-gateway-main.ts), and from
 * `Intl.DateTimeFormat` otherwise. Both read ICU's zone data, so they agree; but the first
 * `Intl.DateTimeFormat` a process makes touches about 8 MB of ICU locale data that then stays
 * resident, for an answer `getHours()` gives for 0.8 MB (docs/benchmarks.md, memory).
 */
export class DailyWindow {
  private readonly startMin: number;
  private readonly endMin: number;
  private format: Intl.DateTimeFormat | undefined;

  constructor(
    range: string,
    private readonly timezone: string,
  ) {
    const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(range);
    if (!m) throw new RangeError(`"${range}" is not HH:MM-HH:MM`);
    const [, h1, m1, h2, m2] = m.map(Number) as [number, number, number, number, number];
    this.startMin = h1 * 60 + m1;
    this.endMin = h2 * 60 + m2;
    // At construction rather than at night: a zone the runtime does not know.
    if (!isKnownTimeZone(timezone)) throw new RangeError(`"${timezone}" is not a time zone this runtime knows`);
  }

  contains(at: Date): boolean {
    if (this.startMin === this.endMin) return false;
    const minute = this.minuteOfDay(at);
    return this.startMin < this.endMin ? minute >= this.startMin && minute < this.endMin : minute >= this.startMin || minute < this.endMin;
  }

  /** Minutes since midnight on the station's wall clock. */
  minuteOfDay(at: Date): number {
    if (process.env['TZ'] === this.timezone) return at.getHours() * 60 + at.getMinutes();
    this.format ??= new Intl.DateTimeFormat('en-GB', { timeZone: this.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const parts = this.format.formatToParts(at);
    return Number(parts.find((p) => p.type === 'hour')?.value) * 60 + Number(parts.find((p) => p.type === 'minute')?.value);
  }
}
