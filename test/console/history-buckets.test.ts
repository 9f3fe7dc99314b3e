import { describe, expect, it } from 'vitest';
import { bucketByHour, hoursOf, type LogEvent } from '../../console/src/history/hour-buckets.js';
import { last24h, lastNight, stationDay } from '../../console/src/history/history-period.js';
import { hourStart, instantOf, wallText } from '../../console/src/history/station-clock.js';

/*
 * Looking back on the station's clock: last night, a day and the charts' hours are the station's,
 * whatever the zone of the browser running the test (these run in Node, whose zone is the
 * machine's). Shanghai has no daylight saving; New York and Kathmandu (+05:45) show the edges.
 */

const SH = 'Asia/Shanghai';
const at = (iso: string): number => Date.parse(iso);
const ev = (ts: string, type: string, data: Record<string, unknown> = {}): LogEvent => ({ id: `id-${ts}-${type}`, ts, type, data });

describe('the station clock', () => {
  it('finds the instant of a wall time in the station zone, across a daylight-saving change', () => {
    expect(new Date(instantOf({ year: 2026, month: 12, day: 1, hour: 20 }, SH)).toISOString()).toBe('2026-12-01T12:00:00.000Z');
    // New York: 2026-03-08 02:00 local is skipped; 01:00 is EST (-5), 03:00 EDT (-4).
    expect(new Date(instantOf({ year: 2026, month: 3, day: 8, hour: 1 }, 'America/New_York')).toISOString()).toBe('2026-03-08T06:00:00.000Z');
    expect(new Date(instantOf({ year: 2026, month: 3, day: 8, hour: 3 }, 'America/New_York')).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    // Overflowing fields roll over: day 32 of December is 1 January.
    expect(wallText(instantOf({ year: 2026, month: 12, day: 32 }, SH), SH)).toBe('2027-01-01 00:00:00');
  });

  it('starts an hour where the station clock does, also in a zone 45 minutes off the hour', () => {
    expect(new Date(hourStart(at('2026-12-01T12:34:56.789Z'), SH)).toISOString()).toBe('2026-12-01T12:00:00.000Z');
    // Kathmandu is UTC+05:45: its hours start at :15 UTC.
    expect(new Date(hourStart(at('2026-12-01T12:34:56Z'), 'Asia/Kathmandu')).toISOString()).toBe('2026-12-01T12:15:00.000Z');
  });
});

describe('the periods', () => {
  it('last night is 20:00 to 08:00 on the station clock, and the night so far before 08:00', () => {
    // 10:00 in Shanghai on 2 December: the night of 1 to 2 December.
    const morning = lastNight(at('2026-12-02T02:00:00Z'), SH);
    expect(wallText(morning.since, SH)).toBe('2026-12-01 20:00:00');
    expect(wallText(morning.until, SH)).toBe('2026-12-02 08:00:00');
    expect(morning.until - morning.since).toBe(12 * 3600_000);
    // 03:00 in Shanghai: the night going on, to now.
    const now = at('2026-12-01T19:00:00Z');
    const ongoing = lastNight(now, SH);
    expect(wallText(ongoing.since, SH)).toBe('2026-12-01 20:00:00');
    expect(ongoing.until).toBe(now);
    // The same instant is another station's other night: it is the station's clock that counts.
    expect(wallText(lastNight(now, 'America/New_York').since, 'America/New_York')).toBe('2026-11-30 20:00:00');
  });

  it('a chosen day is the station day, ending now while it goes on; a day that does not exist is refused', () => {
    const now = at('2026-12-02T04:00:00Z');
    const day = stationDay('2026-12-01', now, SH);
    expect(day && [wallText(day.since, SH), wallText(day.until, SH)]).toEqual(['2026-12-01 00:00:00', '2026-12-02 00:00:00']);
    expect(stationDay('2026-12-02', now, SH)?.until).toBe(now);
    expect(stationDay('2026-02-31', now, SH)).toBeUndefined();
    expect(stationDay('2026-12-03', now, SH)).toBeUndefined();
    expect(stationDay('yesterday', now, SH)).toBeUndefined();
    // A day with the change to summer time has 23 hours.
    const short = stationDay('2026-03-08', now, 'America/New_York');
    expect(short && (short.until - short.since) / 3600_000).toBe(23);
    expect(last24h(now)).toEqual({ kind: 'day24', since: now - 86_400_000, until: now });
  });
});

describe('hourly buckets', () => {
  const since = at('2026-12-01T12:00:00Z'); // 20:00 Shanghai
  const until = at('2026-12-02T00:00:00Z'); // 08:00

  it('makes one bucket per station hour of the period', () => {
    const hours = hoursOf(since, until, SH);
    expect(hours).toHaveLength(12);
    expect(wallText(hours[0]?.start ?? 0, SH)).toBe('2026-12-01 20:00:00');
    expect(wallText(hours[11]?.start ?? 0, SH)).toBe('2026-12-02 07:00:00');
    // The spring-forward night in New York has an hour fewer.
    expect(hoursOf(at('2026-03-08T01:00:00Z'), at('2026-03-08T13:00:00Z'), 'America/New_York')).toHaveLength(12);
    expect(hoursOf(instantOf({ year: 2026, month: 3, day: 7, hour: 20 }, 'America/New_York'), instantOf({ year: 2026, month: 3, day: 8, hour: 8 }, 'America/New_York'), 'America/New_York')).toHaveLength(11);
  });

  it('counts swaps, water, refusals with their attempts, and splits time inside across the hours', () => {
    const events = [
      ev('2026-12-01T12:10:00Z', 'swap.completed'),
      ev('2026-12-01T12:59:59.999Z', 'swap.completed'),
      ev('2026-12-01T13:00:00Z', 'swap.completed'),
      ev('2026-12-01T13:05:00Z', 'swap.aborted'),
      ev('2026-12-01T14:00:00Z', 'water.dispensed', { ml: 500 }),
      ev('2026-12-01T14:30:00Z', 'water.dispensed', { ml: 250 }),
      ev('2026-12-01T14:31:00Z', 'water.dispensed', { ml: 'lots' }),
      ev('2026-12-01T15:00:00Z', 'access.denied', { code: 'EXPIRED' }),
      ev('2026-12-01T15:01:00Z', 'access.denied', { code: 'BAD_TOKEN', attempts: 7 }),
      ev('2026-12-01T15:02:00Z', 'access.granted', {}),
      // 20:50 to 21:20 inside: 10 minutes in the first hour, 20 in the second.
      ev('2026-12-01T13:20:00Z', 'occupancy.session', { enteredAt: '2026-12-01T12:50:00Z', leftAt: '2026-12-01T13:20:00Z', seconds: 1800, peakPeople: 1 }),
      // Entered before the period: only the part inside it counts.
      ev('2026-12-01T12:05:00Z', 'occupancy.session', { enteredAt: '2026-12-01T11:00:00Z', leftAt: '2026-12-01T12:05:00Z', seconds: 3900, peakPeople: 2 }),
      // Outside the period, and junk: left out.
      ev('2026-12-02T00:00:00Z', 'swap.completed'),
      ev('not a time', 'swap.completed'),
    ];
    const b = bucketByHour(events, since, until, SH);
    expect(b.map((x) => x.swaps).slice(0, 3)).toEqual([2, 1, 0]);
    expect(b[2]?.waterMl).toBe(750);
    expect(b[3]?.refusals).toBe(8);
    expect(b[0]?.occupiedSeconds).toBe(5 * 60 + 10 * 60);
    expect(b[1]?.occupiedSeconds).toBe(20 * 60);
    expect(b.reduce((n, x) => n + x.swaps, 0)).toBe(3);
  });
});
