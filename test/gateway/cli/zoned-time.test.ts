import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatZoned, parseWallTime, utcOffsetMinutes } from '../../../gateway/cli/zoned-time.js';

describe('zoned time for the crew on site', () => {
  it('prints the station wall clock with its offset', () => {
    expect(formatZoned(new Date('2026-11-27T18:30:05Z'), 'Asia/Shanghai')).toBe('2026-11-28 02:30:05 +08:00');
    expect(formatZoned(new Date('2026-11-27T18:30:05Z'), 'UTC')).toBe('2026-11-27 18:30:05 +00:00');
    expect(formatZoned(new Date('2026-07-01T12:00:00Z'), 'America/St_Johns')).toBe('2026-07-01 09:30:00 -02:30');
  });

  it('reads a zoneless date-time on the station clock, across DST changes too', () => {
    expect(parseWallTime('2026-11-28T02:30', 'Asia/Shanghai')?.toISOString()).toBe('2026-11-27T18:30:00.000Z');
    expect(parseWallTime('2026-11-28', 'Asia/Shanghai')?.toISOString()).toBe('2026-11-27T16:00:00.000Z');
    expect(parseWallTime('2026-03-29T03:30', 'Europe/Berlin')?.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(parseWallTime('2026-11-28T02:30Z', 'Asia/Shanghai')).toBeUndefined();
    expect(parseWallTime('2026-02-30', 'UTC')).toBeUndefined();
  });

  it('round-trips every instant through print and read, in zones with and without DST', () => {
    const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'UTC'];
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
        const at = new Date(Math.floor(ms / 1000) * 1000);
        const [date, time] = formatZoned(at, zone).split(' ');
        const back = parseWallTime(`${date}T${time}`, zone);
        // A wall time repeated by a DST fall-back maps to one of its two instants: same wall clock.
        expect(back && formatZoned(back, zone).slice(0, 19)).toBe(formatZoned(at, zone).slice(0, 19));
        expect(Math.abs(utcOffsetMinutes(at, zone))).toBeLessThanOrEqual(14 * 60);
      }),
      { numRuns: 300 },
    );
  });
});
