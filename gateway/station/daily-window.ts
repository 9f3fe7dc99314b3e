/**
 * A time of day window, `HH:MM-HH:MM` on the 24-hour clock in a station's IANA zone, that may wrap
 * midnight (`22:00-06:00`); `00:00-24:00` is the whole day. The end is exclusive.
 */
export class DailyWindow {
  private readonly startMin: number;
  private readonly endMin: number;
  private readonly format: Intl.DateTimeFormat;

  constructor(range: string, timezone: string) {
    const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(range);
    if (!m) throw new RangeError(`"${range}" is not HH:MM-HH:MM`);
    const [, h1, m1, h2, m2] = m.map(Number) as [number, number, number, number, number];
    this.startMin = h1 * 60 + m1;
    this.endMin = h2 * 60 + m2;
    // Throws RangeError for a zone the runtime does not know, at construction rather than at night.
    this.format = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  contains(at: Date): boolean {
    if (this.startMin === this.endMin) return false;
    const parts = this.format.formatToParts(at);
    const minute = Number(parts.find((p) => p.type === 'hour')?.value) * 60 + Number(parts.find((p) => p.type === 'minute')?.value);
    return this.startMin < this.endMin ? minute >= this.startMin && minute < this.endMin : minute >= this.startMin || minute < this.endMin;
  }
}
