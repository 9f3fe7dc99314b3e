import { describe, expect, it } from 'vitest';
import type { Points } from '../../../device-drivers/device.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { SENSOR_CLEAR_MS, WaterService } from '../../../gateway/station/water-service.js';
import { FakeClock, FakeCommander, offline, online } from './station-fakes.js';
import { useStationParts } from './station-harness.js';

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const LIMITS = { sessionIdleMs: 30_000, tankLowPercent: 15, tankOkPercent: 25 };

interface Dispenser {
  leak: boolean;
  filterDue: boolean;
  tankLevel: number;
  session: 'idle' | 'dispensing';
  sessionVolume: number;
  dispensingEnabled: boolean;
}

function setup() {
  const p = parts.open();
  const clock = new FakeClock();
  const commander = new FakeCommander();
  const water = new WaterService({ device: 'water-1', commander, alarms: p.alarms, recorder: p.recorder, log: silentLogger(), clock, limits: LIMITS });
  const d: Dispenser = { leak: false, filterDue: false, tankLevel: 80, session: 'idle', sessionVolume: 0, dispensingEnabled: false };
  const points = (): Points => ({
    status: { supplyOk: true, leak: d.leak, heaterOn: false, filterDue: d.filterDue },
    hotTemp: 90,
    tankLevel: d.tankLevel,
    filterLife: 50,
    totalVolume: 1000,
    session: d.session,
    sessionVolume: d.sessionVolume,
    maxSessionVolume: 1000,
    dispensingEnabled: d.dispensingEnabled,
    hotWaterLock: false,
  });
  const feed = async (): Promise<void> => {
    water.update(online(points()));
    await flush();
  };
  return { p, clock, commander, water, d, feed };
}

const alarmNames = (p: ReturnType<typeof parts.open>): string[] => p.alarms.active().map((a) => a.alarm).sort();

describe('WaterService', () => {
  it('opens the valve for a granted session, logs the draw when it ends, and closes the valve', async () => {
    const { p, clock, commander, water, d, feed } = setup();
    await feed();
    await expect(water.dispense({ sub: 'rider-7' })).resolves.toEqual({ device: 'water-1', idleSeconds: 30 });
    expect(commander.of('enableDispensing')).toEqual([[true, undefined]]);
    d.dispensingEnabled = true;
    await feed();
    await expect(water.dispense({ sub: 'other' })).rejects.toMatchObject({ code: 'BUSY' });

    clock.advance(2000);
    d.session = 'dispensing';
    d.sessionVolume = 100;
    await feed();
    const startedAt = new Date(clock.now()).toISOString();
    // Drawing longer than the idle timeout is not idle.
    clock.advance(LIMITS.sessionIdleMs + 1000);
    d.sessionVolume = 480;
    await feed();
    d.session = 'idle';
    d.sessionVolume = 500;
    await feed();
    expect(p.events('water.dispensed')).toMatchObject([{ device: 'water-1', data: { ml: 500, litres: 0.5, sub: 'rider-7', startedAt } }]);
    expect(p.store.sessions.list({ kind: 'water' })).toMatchObject([{ subject: 'rider-7', startedAt }]);
    expect(commander.of('enableDispensing')).toEqual([[true, undefined], [false, undefined]]);
  });

  it('closes a session nobody draws from after the idle timeout', async () => {
    const { p, clock, commander, water, d, feed } = setup();
    await feed();
    await water.dispense({ sub: 'r' });
    d.dispensingEnabled = true;
    await feed();
    clock.advance(LIMITS.sessionIdleMs - 1);
    await feed();
    expect(water.busy()).toBe(true);
    clock.advance(1);
    expect(water.busy()).toBe(false);
    await feed();
    expect(commander.of('enableDispensing')).toEqual([[true, undefined], [false, undefined]]);
    expect(p.events('water.dispensed')).toEqual([]);
  });

  it('a leak during a draw: valve closed, critical alarm, the draw so far logged, sessions refused', async () => {
    const { p, commander, water, d, feed } = setup();
    await feed();
    await water.dispense({ sub: 'r' });
    d.dispensingEnabled = true;
    d.session = 'dispensing';
    d.sessionVolume = 200;
    await feed();
    d.leak = true;
    await feed();
    expect(commander.of('enableDispensing')).toEqual([[true, undefined], [false, undefined]]);
    expect(p.alarms.active()).toMatchObject([{ alarm: 'water.leak', severity: 'critical', device: 'water-1' }]);
    d.dispensingEnabled = false;
    d.session = 'idle';
    d.sessionVolume = 230;
    await feed();
    expect(p.events('water.dispensed')).toMatchObject([{ data: { ml: 230, sub: 'r' } }]);
    await expect(water.dispense({ sub: 'r2' })).rejects.toMatchObject({ code: 'DEVICE_ERROR' });
    expect(water.ok()).toBe(false);
  });

  it('closes a valve found open with no session (a dispenser that restarted open)', async () => {
    const { commander, d, feed } = setup();
    d.dispensingEnabled = true;
    await feed();
    expect(commander.of('enableDispensing')).toEqual([[false, undefined]]);
  });

  it('refuses DEVICE_OFFLINE and an empty tank', async () => {
    const { water, d, feed } = setup();
    water.update(offline());
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
