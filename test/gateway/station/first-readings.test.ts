import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FirstReadings } from '../../../gateway/station/first-readings.js';

class Monitor extends EventEmitter<{ state: [] }> {
  constructor(readonly id: string) {
    super();
  }
}

describe('FirstReadings', () => {
  it('settles once every device has been heard from, calling back exactly once, and lets go on stop', () => {
    const [a, b] = [new Monitor('cabinet-1'), new Monitor('lock-1')];
    const readings = new FirstReadings([a, b]);
    let calls = 0;
    readings.start(() => calls++);
    expect(readings.settled()).toBe(false);
    a.emit('state');
    a.emit('state');
    expect([readings.settled(), calls]).toEqual([false, 0]);
    b.emit('state');
    expect([readings.settled(), calls]).toEqual([true, 1]);
    b.emit('state');
    expect(calls).toBe(1);
    readings.stop();
    expect(a.listenerCount('state') + b.listenerCount('state')).toBe(0);
  });

  it('with nothing to wait for, it is settled from the start', () => {
    expect(new FirstReadings([]).settled()).toBe(true);
  });
});
