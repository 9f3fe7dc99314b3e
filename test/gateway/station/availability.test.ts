import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Availability } from '../../../cloud-bridge/contract-schemas.js';
import { StationAvailability } from '../../../gateway/station/availability.js';
import { stationAvailability } from '../../../gateway/station/availability-rule.js';
import { FakeClock } from './station-fakes.js';

class Source extends EventEmitter<{ changed: [] }> {
  ready: Record<string, number> = {};
  water = true;
  people: number | undefined = 0;
  smoke = false;
  readyBatteries = (): Record<string, number> => this.ready;
  smokeActive = (): boolean => this.smoke;
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
      doors: () => ({ inService: 1, online: doors }),
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
    expect(published.at(-1)).toMatchObject({ open: false, services: { doors: { usable: true } } });
    open = true;
    doors = false;
    availability.refresh();
    expect(published.at(-1)).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'doors-offline' } } });

    availability.stop();
    c1.set((s) => (s.ready = {}));
    clock.advance(120_000);
    expect(published).toHaveLength(5);
  });
});

describe('StationAvailability with smoke and at boot', () => {
  it('smoke in a cabinet closes the station and its doors for entry, with the reason; clears with the latch', () => {
    const published: Availability[] = [];
    const cabinet = new Source();
    cabinet.ready = { '48V': 2 };
    const availability = new StationAvailability({ publish: (a) => published.push(a), cabinets: [cabinet], doors: () => ({ inService: 1, online: true }), clock: new FakeClock() });
    availability.start();
    expect(published.at(-1)).toMatchObject({ open: true, services: { doors: { usable: true } } });
    cabinet.set((s) => {
      s.smoke = true;
      s.ready = {};
    });
    expect(published.at(-1)).toEqual({ open: false, services: { doors: { usable: false, reason: 'smoke' }, batteries: { ready: {} } } });
    cabinet.set((s) => (s.smoke = false));
    expect(published.at(-1)).toMatchObject({ open: true, services: { doors: { usable: true } } });
    availability.stop();
  });

  it('publishes nothing until the sources have settled, so the first value out is the real one', () => {
    const published: Availability[] = [];
    const cabinet = new Source();
    let settled = false;
    let lockOnline = false;
    const availability = new StationAvailability({
      publish: (a) => published.push(a),
      cabinets: [cabinet],
      doors: () => ({ inService: 1, online: lockOnline }),
      settled: () => settled,
      clock: new FakeClock(),
    });
    availability.start();
    cabinet.set((s) => (s.ready = { '48V': 1 }));
    expect(published).toEqual([]);
    lockOnline = true;
    settled = true;
    availability.refresh();
    expect(published).toEqual([{ open: true, services: { doors: { usable: true }, batteries: { ready: { '48V': 1 } } } }]);
    availability.stop();
  });
});

describe('stationAvailability (the rule the gateway and the fleet simulator share)', () => {
  const base = { withinHours: true, doors: { inService: 1, online: true } };

  it('says why the doors cannot be used, most urgent first; opening hours close the station, not its doors', () => {
    expect(stationAvailability(base)).toEqual({ open: true, services: { doors: { usable: true } } });
    expect(stationAvailability({ ...base, withinHours: false, doors: { inService: 1, online: false }, cabinets: [{ smoke: true, ready: {} }] })).toMatchObject({
      open: false,
      services: { doors: { usable: false, reason: 'smoke' } },
    });
    expect(stationAvailability({ ...base, doors: { inService: 0, online: false } })).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'out-of-service' } } });
    expect(stationAvailability({ ...base, doors: { inService: 1, online: false } })).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'doors-offline' } } });
    // An operator may still come in after hours.
    expect(stationAvailability({ ...base, withinHours: false })).toEqual({ open: false, services: { doors: { usable: true } } });
  });

  it('smoke in any one cabinet closes it; a station with no entrance doors has no doors service', () => {
    const cabinets: Array<{ smoke: boolean; ready: Record<string, number> }> = [{ smoke: false, ready: { '48V': 1 } }, { smoke: true, ready: { '60V': 2 } }];
    expect(stationAvailability({ withinHours: true, cabinets })).toEqual({ open: false, services: { batteries: { ready: { '48V': 1, '60V': 2 } } } });
    expect(stationAvailability({ withinHours: true, water: [false, true], occupancy: [1, undefined] }).services).toEqual({ water: { ok: true }, occupancy: { inside: null } });
  });
});
