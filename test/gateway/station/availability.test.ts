import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../../../cloud-bridge/contract-schemas.js';
import { StationAvailability } from '../../../gateway/station/availability.js';
import { FakeClock } from './station-fakes.js';

class Source extends EventEmitter<{ changed: [] }> {
  ready: Record<string, number> = {};
  water = true;
  people: number | undefined = 0;
  readyBatteries = (): Record<string, number> => this.ready;
  ok = (): boolean => this.water;
  inside = (): number | undefined => this.people;
  set(change: (s: this) => void): void {
    change(this);
    this.emit('changed');
  }
}

describe('StationAvailability', () => {
  it('publishes on change only, sums batteries per pack type, and follows opening hours over time', () => {
    const clock = new FakeClock();
    const published: Availability[] = [];
    const [c1, c2, w, o] = [new Source(), new Source(), new Source(), new Source()];
    c1.ready = { '48V': 2 };
    c2.ready = { '48V': 1, '60V': 1 };
    let open = true;
    let doors = true;
    const availability = new StationAvailability({
      publish: (a) => published.push(a),
      cabinets: [c1, c2],
      water: [w],
      occupancy: [o],
      open: () => open,
      doorsUsable: () => doors,
      refreshMs: 60_000,
      clock,
    });
    availability.start();
    expect(published).toEqual([{ open: true, services: { doors: { usable: true }, batteries: { ready: { '48V': 3, '60V': 1 } }, water: { ok: true }, occupancy: { inside: 0 } } }]);

    w.set(() => undefined);
    expect(published).toHaveLength(1);
    o.set((s) => (s.people = undefined));
    w.set((s) => (s.water = false));
    expect(published.slice(1).map((a) => [a.services['occupancy'], a.services['water']])).toEqual([
      [{ inside: null }, { ok: true }],
      [{ inside: null }, { ok: false }],
    ]);

    open = false;
    clock.advance(60_000);
    expect(published.at(-1)?.open).toBe(false);
    open = true;
    doors = false;
    availability.refresh();
    expect(published.at(-1)).toMatchObject({ open: false, services: { doors: { usable: false } } });

    availability.stop();
    c1.set((s) => (s.ready = {}));
    clock.advance(120_000);
    expect(published).toHaveLength(5);
  });
});
