import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { DailyWindow } from '../../../gateway/station/daily-window.js';
import { OccupancyWatch } from '../../../gateway/station/occupancy-watch.js';
import { FakeClock } from './station-fakes.js';
import { useStationParts } from './station-harness.js';

const parts = useStationParts();

/** The fake clock starts at 02:00 UTC, inside these night hours; 10:00-12:00 is not. */
function setup(nightHours = '22:00-06:00') {
  const p = parts.open();
  const clock = new FakeClock();
  const watch = new OccupancyWatch({
    device: 'occupancy-1',
    alarms: p.alarms,
    recorder: p.recorder,
    night: new DailyWindow(nightHours, 'UTC'),
    log: silentLogger(),
    clock,
    limits: { stillAlarmSeconds: 300, leftAfterMs: 10_000 },
  });
  const feed = (people: number, stillSeconds: number | undefined, usable = true): void => watch.update({ online: true, usable, people, stillSeconds });
  return { p, clock, watch, feed };
}

describe('OccupancyWatch', () => {
  it('logs a stay from the first person in to the room empty, with the peak, ignoring a short dropout', () => {
    const { p, clock, watch, feed } = setup();
    feed(0, 900);
    expect(watch.inside()).toBe(0);
    const enteredAt = new Date(clock.now()).toISOString();
    feed(1, 0);
    clock.advance(60_000);
    feed(2, 3);
    clock.advance(5_000);
    feed(0, 1);
    clock.advance(4_000);
    feed(1, 0);
    expect(p.events('occupancy.session')).toEqual([]);
    clock.advance(60_000);
    feed(0, 2);
    const leftAt = new Date(clock.now()).toISOString();
    clock.advance(9_999);
    feed(0, 12);
    expect(p.events('occupancy.session')).toEqual([]);
    clock.advance(1);
    feed(0, 12);
    expect(p.events('occupancy.session')).toMatchObject([{ device: 'occupancy-1', data: { enteredAt, leftAt, peakPeople: 2, seconds: 129 } }]);
    expect(p.store.sessions.list({ kind: 'occupancy' })).toMatchObject([{ startedAt: enteredAt, endedAt: leftAt }]);
  });

  it('at night, a person motionless for the configured time is a critical alarm until they move', () => {
    const { p, feed } = setup();
    feed(1, 299);
    expect(p.alarms.active()).toEqual([]);
    feed(1, 300);
    expect(p.alarms.active()).toMatchObject([{ alarm: 'person.still', severity: 'critical', device: 'occupancy-1', detail: { stillSeconds: 300, people: 1 } }]);
    feed(1, 400);
    expect(p.events('alarm.raised')).toHaveLength(1);
    feed(1, 0);
    expect(p.alarms.active()).toEqual([]);
  });

  it('clears the alarm when the person leaves, and raises none by day', () => {
    const night = setup();
    night.feed(1, 600);
    expect(night.p.alarms.active()).toHaveLength(1);
    night.feed(0, 601);
    expect(night.p.alarms.active()).toEqual([]);

    const day = setup('10:00-12:00');
    day.feed(1, 3600);
    expect(day.p.alarms.active()).toEqual([]);
  });

  it('reports people inside as unknown while the sensor is offline or faulty', () => {
    const { watch, feed } = setup();
    const changes: Array<number | undefined> = [];
    watch.on('changed', () => changes.push(watch.inside()));
    feed(2, 0);
    watch.update({ online: false, usable: false, people: undefined, stillSeconds: undefined });
    feed(1, 0, false);
    feed(1, 0);
    expect(changes).toEqual([2, undefined, 1]);
  });
});

describe('DailyWindow', () => {
  it('wraps midnight, covers the whole day with 00:00-24:00, and reads the station zone', () => {
    const at = (iso: string): Date => new Date(iso);
    const night = new DailyWindow('22:00-06:00', 'UTC');
    expect([night.contains(at('2026-01-01T21:59:00Z')), night.contains(at('2026-01-01T22:00:00Z')), night.contains(at('2026-01-02T05:59:00Z')), night.contains(at('2026-01-02T06:00:00Z'))]).toEqual([false, true, true, false]);
    expect(new DailyWindow('00:00-24:00', 'UTC').contains(at('2026-01-01T23:59:59Z'))).toBe(true);
    // 15:00 UTC is 23:00 in Shanghai (UTC+8, no daylight saving).
    expect(new DailyWindow('22:00-06:00', 'Asia/Shanghai').contains(at('2026-01-01T15:00:00Z'))).toBe(true);
    expect(() => new DailyWindow('22:00-06:00', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('OccupancyWatch on a sensor without a stillness role', () => {
  it('counts stays but never raises person.still', () => {
    const { p, clock, watch, feed } = setup();
    feed(1, undefined);
    clock.advance(3600_000);
    feed(1, undefined);
    expect(watch.inside()).toBe(1);
    expect(p.alarms.active()).toEqual([]);
    feed(0, undefined);
    clock.advance(10_000);
    feed(0, undefined);
    expect(p.events('occupancy.session')).toMatchObject([{ data: { peakPeople: 1 } }]);
  });
});
