import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isKnownTimeZone } from '../../../config/time-zone.js';
import { DailyWindow } from '../../../gateway/station/daily-window.js';

/*
 * The gateway reads opening and night hours from Date's local time once it has set TZ to the
 * station's zone, and from Intl otherwise (gateway/station/daily-window.ts): the two must give the
 * same wall clock at every instant, across DST changes and in zones whose offset is not whole hours.
 */

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'UTC'];
const before = process.env['TZ'];

afterEach(() => {
  if (before === undefined) delete process.env['TZ'];
  else process.env['TZ'] = before;
});

function minuteBothWays(zone: string, at: Date): [number, number] {
  const window = new DailyWindow('22:00-06:00', zone);
  process.env['TZ'] = zone;
  const local = window.minuteOfDay(at);
  process.env['TZ'] = zone === 'UTC' ? 'Asia/Tokyo' : 'UTC';
  const intl = window.minuteOfDay(at);
  return [local, intl];
}

describe('DailyWindow', () => {
  it('reads the same wall clock from local time in the station zone as from Intl, at any instant', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true }), (zone, at) => {
        const [local, intl] = minuteBothWays(zone, at);
        expect(local).toBe(intl);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on both sides of a DST change', () => {
    // Berlin springs forward at 01:00 UTC on 2026-03-29 (02:00 → 03:00 local), falls back on 2026-10-25.
    for (const iso of ['2026-03-29T00:59:00Z', '2026-03-29T01:00:00Z', '2026-10-25T00:59:00Z', '2026-10-25T01:00:00Z']) {
      const [local, intl] = minuteBothWays('Europe/Berlin', new Date(iso));
      expect(local, iso).toBe(intl);
    }
    expect(minuteBothWays('Europe/Berlin', new Date('2026-03-29T01:00:00Z'))).toEqual([180, 180]);
    expect(minuteBothWays('Asia/Shanghai', new Date('2026-12-01T18:30:00Z'))).toEqual([150, 150]);
  });

  it('opens and closes at the station wall clock, wrapping midnight', () => {
    process.env['TZ'] = 'Asia/Shanghai';
    const night = new DailyWindow('22:00-06:00', 'Asia/Shanghai');
    expect(night.contains(new Date('2026-12-01T13:59:00Z'))).toBe(false); // 21:59
    expect(night.contains(new Date('2026-12-01T14:00:00Z'))).toBe(true); // 22:00
    expect(night.contains(new Date('2026-12-01T21:59:00Z'))).toBe(true); // 05:59
    expect(night.contains(new Date('2026-12-01T22:00:00Z'))).toBe(false); // 06:00
    expect(new DailyWindow('00:00-24:00', 'Asia/Shanghai').contains(new Date('2026-12-01T16:00:00Z'))).toBe(true);
  });

  it('refuses a zone the runtime does not know when it is made', () => {
    expect(() => new DailyWindow('08:00-20:00', 'Asia/Shanghia')).toThrow(RangeError);
  });
});

describe('isKnownTimeZone', () => {
  it('knows canonical names, aliases and UTC, and not a typo', () => {
    for (const zone of ['Asia/Shanghai', 'UTC', 'Etc/UTC', 'Asia/Chongqing', 'PRC', 'Europe/Kiev']) expect(isKnownTimeZone(zone), zone).toBe(true);
    for (const zone of ['Asia/Shanghia', 'Mars/Olympus', '', 'asia shanghai']) expect(isKnownTimeZone(zone), zone).toBe(false);
  });
});
