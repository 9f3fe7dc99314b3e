import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActiveAlarm, AlarmRaise } from '../../../cloud-bridge/contract-schemas.js';
import { DETECTOR_FAULT_ALARM, STATION_SMOKE_ALARM, SmokeWatch } from '../../../gateway/station/smoke-watch.js';
import type { AlarmSink } from '../../../gateway/station/station-ports.js';
import { FakeClock } from './station-fakes.js';

class Alarms implements AlarmSink {
  readonly list = new Map<string, ActiveAlarm>();
  raise(a: AlarmRaise): void {
    if (!this.list.has(a.alarm)) this.list.set(a.alarm, { alarm: a.alarm, severity: a.severity, device: a.device, since: new Date().toISOString() });
  }
  clear(alarm: string): void {
    this.list.delete(alarm);
  }
  active(): ActiveAlarm[] {
    return [...this.list.values()];
  }
}

const reading = (smoke: boolean, fault = false, online = true) => ({ online, smoke, fault });

describe('smoke detector watch', () => {
  it('raises station.smoke at once and clears it only after the detector is quiet for the hold', () => {
    const clock = new FakeClock();
    const alarms = new Alarms();
    const watch = new SmokeWatch({ device: 'smoke-1', alarms, log: pino({ level: 'silent' }), clock, clearMs: 60_000 });
    let changes = 0;
    watch.on('changed', () => changes++);
    watch.start();
    watch.update(reading(false));
    expect(watch.smokeActive()).toBe(false);
    watch.update(reading(true));
    expect(watch.smokeActive()).toBe(true);
    expect(alarms.list.get(STATION_SMOKE_ALARM)?.severity).toBe('critical');
    watch.update(reading(false));
    clock.advance(30_000);
    watch.update(reading(true)); // a flicker restarts the hold
    clock.advance(30_000);
    watch.update(reading(false));
    clock.advance(59_000);
    watch.update(reading(false));
    expect(watch.smokeActive()).toBe(true);
    // An offline detector proves nothing: it does not clear the smoke.
    clock.advance(5_000);
    watch.update(reading(false, false, false));
    expect(watch.smokeActive()).toBe(true);
    watch.update(reading(false));
    expect(watch.smokeActive()).toBe(false);
    expect(alarms.list.has(STATION_SMOKE_ALARM)).toBe(false);
    expect(changes).toBe(2);
  });

  it('keeps smoke latched across a restart and reports a faulty detector', () => {
    const alarms = new Alarms();
    alarms.raise({ alarm: STATION_SMOKE_ALARM, severity: 'critical', device: 'smoke-1' });
    const watch = new SmokeWatch({ device: 'smoke-1', alarms, log: pino({ level: 'silent' }), clock: new FakeClock() });
    watch.start();
    expect(watch.smokeActive()).toBe(true);
    watch.update(reading(false, true));
    expect(watch.smokeActive()).toBe(true);
    expect(alarms.list.get(DETECTOR_FAULT_ALARM)?.severity).toBe('major');
    watch.update(reading(false, false));
    expect(alarms.list.has(DETECTOR_FAULT_ALARM)).toBe(false);
  });
});
