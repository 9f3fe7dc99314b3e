import { describe, expect, it } from 'vitest';
import { CabinetSafety, RISE_RELEASE_MS, type CabinetSafetyOptions } from '../../../gateway/station/cabinet-safety.js';
import { FakeCabinet, FakeClock, memoryLogger, offlineCabinet, type SlotSpec } from './station-fakes.js';
import { useStationParts, type StationParts } from './station-harness.js';

/*
 * The early cut: a pack temperature rising faster than the configured rate is cut and locked out
 * before the 60 °C limit, and neither one wild reading nor readings on both sides of a gap fake
 * such a rate.
 */

const parts = useStationParts();
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const POLL_MS = 2000;

function setup(p: StationParts = parts.open(), options: Partial<CabinetSafetyOptions> = {}) {
  const clock = new FakeClock();
  const neighbour: SlotSpec = { state: 'ready', soc: 100, batteryTemp: 30 };
  const cabinet = new FakeCabinet([{ state: 'charging', soc: 60, batteryTemp: 30 }, neighbour]);
  const logs = memoryLogger();
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet, alarms: p.alarms, settings: p.store.settings, log: logs.log, clock, ...options });
  safety.start();
  /** One poll with slot 1's pack at `temp`, then the clock moves on by a poll. */
  const poll = (temp: number, spec: Partial<SlotSpec> = {}): void => {
    cabinet.slots[0] = { state: 'charging', soc: 60, batteryTemp: temp, ...spec };
    safety.update(cabinet.read());
    clock.advance(POLL_MS);
  };
  /** Polls while the pack's temperature goes from `from` at `perMinute` for `ms`; returns where it ended. */
  const ramp = (from: number, perMinute: number, ms: number, stopWhen: () => boolean = () => false): number => {
    let temp = from;
    for (let t = 0; t <= ms && !stopWhen(); t += POLL_MS) {
      temp = from + (perMinute * t) / 60_000;
      poll(temp);
    }
    return temp;
  };
  const rising = (): boolean => p.alarms.active().some((a) => a.alarm === 'slot.temp-rising.1');
  return { p, clock, cabinet, logs, safety, poll, ramp, rising };
}

const names = (p: StationParts): string[] => p.alarms.active().map((a) => a.alarm).sort();

describe('CabinetSafety: rate of rise', () => {
  it('cuts a slot rising at 3 °C/min at about 50 °C, long before the 60 °C limit, with its own critical alarm', async () => {
    const { p, cabinet, logs, safety, ramp, rising } = setup();
    const at = ramp(47, 3, 5 * 60_000, rising);
    await flush();
    expect(rising()).toBe(true);
    expect(at).toBeGreaterThanOrEqual(49.9);
    expect(at).toBeLessThan(51);
    expect(names(p)).toEqual(['slot.temp-rising.1']);
    const alarm = p.alarms.active()[0];
    expect(alarm).toMatchObject({ severity: 'critical', device: 'cabinet-1', detail: { slot: 1, windowSeconds: 60, cut: 'slot-switch' } });
    expect(alarm?.detail?.['risePerMinute']).toBeCloseTo(3, 1);
    expect(cabinet.of('setCharging')).toEqual([[false, 0]]);
    expect(safety.lockedOut(0)).toBe(true);
    expect(safety.lockedOut(1)).toBe(false);
    expect(logs.messages()).toContain('slot temperature rising fast: locked out; cutting its charging');
    expect(logs.messages()).toContain('slot charging cut');
  });

  it('reads the rate and the window from its options', async () => {
    const lenient = setup(parts.open(), { riseCPerMinute: 5 });
    lenient.ramp(40, 3, 3 * 60_000);
    expect(lenient.rising()).toBe(false);
    lenient.ramp(40, 6, 2 * 60_000, lenient.rising);
    expect(lenient.rising()).toBe(true);

    // A 30 s window sees the same rise in half the time.
    const quick = setup(parts.open(), { riseWindowMs: 30_000 });
    const at = quick.ramp(47, 3, 5 * 60_000, quick.rising);
    expect(at).toBeLessThan(48.6);
    await flush();
  });

  it('is not fooled by a single noisy reading, nor by a pack warming as it charges', () => {
    const { p, poll, ramp } = setup();
    for (let i = 0; i < 60; i++) poll(i === 40 ? 58 : 40);
    for (let i = 0; i < 60; i++) poll(i === 20 || i === 21 ? 57 : 40);
    expect(names(p)).toEqual([]);
    // 0.5 °C/min for ten minutes: charging heat, not a runaway.
    ramp(30, 0.5, 10 * 60_000);
    expect(names(p)).toEqual([]);
  });

  it('measures no rate across an offline spell or a gap in the readings', () => {
    const { p, clock, safety, poll } = setup();
    // 40 °C, then 48 °C two minutes later: 4 °C/min if the gap were read as a rise.
    for (let i = 0; i < 35; i++) poll(40);
    safety.update(offlineCabinet());
    clock.advance(120_000);
    for (let i = 0; i < 35; i++) poll(48);
    expect(names(p)).toEqual([]);

    // The same without an offline verdict: the polls simply stopped coming.
    for (let i = 0; i < 35; i++) poll(48);
    clock.advance(120_000);
    for (let i = 0; i < 35; i++) poll(56);
    expect(names(p)).toEqual([]);
  });

  it('measures no rate across a gap shorter than the window either, offline or not', () => {
    for (const offline of [false, true]) {
      const { p, clock, safety, poll } = setup(parts.open(), { riseWindowMs: 60_000 });
      // 3 °C higher after 50 s without readings: 3.6 °C/min if read across the gap, which no
      // reading on either side shows.
      for (let i = 0; i < 35; i++) poll(40);
      if (offline) safety.update(offlineCabinet());
      clock.advance(50_000);
      for (let i = 0; i < 35; i++) poll(43);
      expect(names(p).filter((a) => a.startsWith('slot.temp-rising')), `offline: ${offline}`).toEqual([]);
    }
  });

  it('does not read a battery just put in as a rise of its slot', () => {
    const { p, poll } = setup();
    for (let i = 0; i < 35; i++) poll(25, { state: 'empty' });
    // A rider's warm pack: the slot's sensor climbs to it over the first 20 s.
    for (let i = 0; i < 10; i++) poll(25 + i * 1.5, { state: 'charging', batteryId: 555 });
    for (let i = 0; i < 60; i++) poll(40, { state: 'charging', batteryId: 555 });
    expect(names(p)).toEqual([]);
  });

  it('keeps the lock-out until the pack has read cool and steady for the release time, then restores charging', async () => {
    const { p, cabinet, safety, poll, ramp, rising } = setup();
    ramp(38, 4, 5 * 60_000, rising);
    expect(rising()).toBe(true);
    // Charging cut: it levels off at 44 °C and stays there.
    const steadyPolls = RISE_RELEASE_MS / POLL_MS;
    for (let i = 0; i < steadyPolls - 10; i++) poll(44);
    await flush();
    expect(safety.lockedOut(0)).toBe(true);
    for (let i = 0; i < 40; i++) poll(44);
    await flush();
    expect(names(p)).toEqual([]);
    expect(safety.lockedOut(0)).toBe(false);
    expect(cabinet.of('setCharging')).toEqual([[false, 0], [true, 0]]);
  });

  it('keeps a fast-rise lock-out through a restart', async () => {
    const first = setup();
    first.ramp(40, 4, 5 * 60_000, first.rising);
    await flush();
    expect(first.rising()).toBe(true);

    const p = parts.restart(first.p);
    const again = setup(p);
    again.poll(41);
    await flush();
    expect(names(p)).toEqual(['slot.temp-rising.1']);
    expect(again.safety.lockedOut(0)).toBe(true);
    // The cut is written again after the restart, never released by it.
    expect(again.cabinet.of('setCharging')).toEqual([[false, 0]]);
  });
});
