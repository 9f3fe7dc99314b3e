import { describe, expect, it } from 'vitest';
import { AccessDenied } from '../../../gateway/access/access-error.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { SENSOR_CLEAR_MS, WaterService } from '../../../gateway/station/water-service.js';
import { FakeClock, FakeDispenser } from './station-fakes.js';
import { useStationParts } from './station-harness.js';

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const LIMITS = { sessionIdleMs: 30_000, tankLowPercent: 15, tankOkPercent: 25 };

function setup(readback = true) {
  const p = parts.open();
  const clock = new FakeClock();
  const dispenser = new FakeDispenser(readback);
  const water = new WaterService({ device: 'water-1', dispenser, alarms: p.alarms, recorder: p.recorder, log: silentLogger(), clock, limits: LIMITS });
  // What the dispenser reports; its valve follows every write where it can be read back.
  const d = dispenser.state;
  const feed = async (): Promise<void> => {
    water.update(dispenser.reading());
    await flush();
  };
  return { p, clock, dispenser, water, d, feed };
}

const alarmNames = (p: ReturnType<typeof parts.open>): string[] => p.alarms.active().map((a) => a.alarm).sort();

describe('WaterService', () => {
  it('opens the valve for a granted session, logs the draw when it ends, and closes the valve', async () => {
    const { p, clock, dispenser, water, d, feed } = setup();
    await feed();
    await expect(water.dispense({ sub: 'rider-7' })).resolves.toEqual({ device: 'water-1', idleSeconds: 30 });
    expect(dispenser.writes).toEqual([true]);
    d.valveOpen = true;
    await feed();
    await expect(water.dispense({ sub: 'other' })).rejects.toMatchObject({ code: 'BUSY' });

    clock.advance(2000);
    d.dispensing = true;
    d.sessionVolume = 100;
    await feed();
    const startedAt = new Date(clock.now()).toISOString();
    // Drawing longer than the idle timeout is not idle.
    clock.advance(LIMITS.sessionIdleMs + 1000);
    d.sessionVolume = 480;
    await feed();
    d.dispensing = false;
    d.sessionVolume = 500;
    await feed();
    expect(p.events('water.dispensed')).toMatchObject([{ device: 'water-1', data: { ml: 500, litres: 0.5, sub: 'rider-7', startedAt } }]);
    expect(p.store.sessions.list({ kind: 'water' })).toMatchObject([{ subject: 'rider-7', startedAt }]);
    expect(dispenser.writes).toEqual([true, false]);
  });

  it('closes a session nobody draws from after the idle timeout', async () => {
    const { p, clock, dispenser, water, d, feed } = setup();
    await feed();
    await water.dispense({ sub: 'r' });
    d.valveOpen = true;
    await feed();
    clock.advance(LIMITS.sessionIdleMs - 1);
    await feed();
    expect(water.busy()).toBe(true);
    clock.advance(1);
    expect(water.busy()).toBe(false);
    await feed();
    expect(dispenser.writes).toEqual([true, false]);
    expect(p.events('water.dispensed')).toEqual([]);
  });

  it('a leak during a draw: valve closed, critical alarm, the draw so far logged, sessions refused', async () => {
    const { p, dispenser, water, d, feed } = setup();
    await feed();
    await water.dispense({ sub: 'r' });
    d.valveOpen = true;
    d.dispensing = true;
    d.sessionVolume = 200;
    await feed();
    d.leak = true;
    await feed();
    expect(dispenser.writes).toEqual([true, false]);
    expect(p.alarms.active()).toMatchObject([{ alarm: 'water.leak', severity: 'critical', device: 'water-1' }]);
    d.valveOpen = false;
    d.dispensing = false;
    d.sessionVolume = 230;
    await feed();
    expect(p.events('water.dispensed')).toMatchObject([{ data: { ml: 230, sub: 'r' } }]);
    await expect(water.dispense({ sub: 'r2' })).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
    expect(water.ok()).toBe(false);
  });

  it('closes a valve found open with no session (a dispenser that restarted open)', async () => {
    const { dispenser, d, feed } = setup();
    d.valveOpen = true;
    await feed();
    expect(dispenser.writes).toEqual([false]);
  });

  it('refuses DEVICE_OFFLINE and an empty tank', async () => {
    const { dispenser, water, d, feed } = setup();
    water.update({ ...dispenser.reading(), online: false });
    await expect(water.dispense({})).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    d.tankLevel = 0;
    await feed();
    await expect(water.dispense({})).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
  });

  it('low tank and filter due are warnings with hysteresis', async () => {
    const { p, clock, d, feed } = setup();
    await feed();
    for (const level of [15, 18, 14, 24]) {
      d.tankLevel = level;
      await feed();
      expect(alarmNames(p)).toEqual(['water.tank-low']);
    }
    d.tankLevel = 25;
    await feed();
    expect(alarmNames(p)).toEqual([]);
    expect(p.events('alarm.raised')).toHaveLength(1);

    d.filterDue = true;
    await feed();
    expect(p.alarms.active()).toMatchObject([{ alarm: 'water.filter-due', severity: 'warning' }]);
    d.filterDue = false;
    await feed();
    clock.advance(SENSOR_CLEAR_MS / 2);
    d.filterDue = true;
    await feed();
    d.filterDue = false;
    await feed();
    clock.advance(SENSOR_CLEAR_MS);
    await feed();
    expect(alarmNames(p)).toEqual([]);
    expect(p.events('alarm.raised')).toHaveLength(2);
  });
});

describe('WaterService without valve readback, and check()', () => {
  it('takes the last value written as the valve: closed at start, written once per change', async () => {
    const { dispenser, water, d, feed } = setup(false);
    expect(d.valveOpen).toBeUndefined();
    // After a restart nothing says the valve is shut: it is written shut.
    await feed();
    await feed();
    expect(dispenser.writes).toEqual([false]);
    await water.dispense({ sub: 'r' });
    await feed();
    expect(dispenser.writes).toEqual([false, true]);
    d.dispensing = true;
    await feed();
    d.dispensing = false;
    d.sessionVolume = 300;
    await feed();
    await feed();
    expect(dispenser.writes).toEqual([false, true, false]);
  });

  it('refuses as dispense would, and leaves no trace: no valve write, no session, no event', async () => {
    const offline = setup();
    offline.water.update({ ...offline.dispenser.reading(), online: false });
    const leak = setup();
    leak.d.leak = true;
    await leak.feed();
    const empty = setup();
    empty.d.tankLevel = 0;
    await empty.feed();
    const busy = setup();
    await busy.feed();
    await busy.water.dispense({ sub: 'first' });
    const cases = [
      ['offline', offline, 'DEVICE_OFFLINE'],
      ['leak', leak, 'DEVICE_ERROR'],
      ['empty tank', empty, 'DEVICE_ERROR'],
      ['busy', busy, 'BUSY'],
    ] as const;
    for (const [what, s, code] of cases) {
      const writes = s.dispenser.writes.length;
      const events = s.p.events().length;
      const wasBusy = s.water.busy();
      let thrown: unknown;
      try {
        s.water.check();
      } catch (err) {
        thrown = err;
      }
      expect(thrown, what).toBeInstanceOf(AccessDenied);
      expect(thrown, what).toMatchObject({ code });
      await flush();
      expect(s.dispenser.writes.length, what).toBe(writes);
      expect(s.p.events().length, what).toBe(events);
      expect(s.water.busy(), what).toBe(wasBusy);
      s.water.stop();
    }

    const fine = setup();
    await fine.feed();
    expect(() => fine.water.check()).not.toThrow();
    expect(fine.water.busy()).toBe(false);
    expect(fine.dispenser.writes).toEqual([]);
  });
});
