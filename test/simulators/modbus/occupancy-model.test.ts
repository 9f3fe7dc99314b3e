import { describe, expect, it } from 'vitest';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { loadTestProfile } from './load-test-profile.js';

describe('OccupancyModel on occupancy-ref', () => {
  const profile = loadTestProfile('occupancy-ref');

  it('publishes consistent presence, people and stillSeconds that change slowly', () => {
    const model = new OccupancyModel({ profile, seed: 11 });
    const presences = new Set<number>();
    let changes = 0;
    let last = model.view.get('presence');
    for (let s = 0; s < 4 * 3600; s++) {
      model.tick(1000);
      const presence = model.view.get('presence') as number;
      const people = model.view.get('people') as number;
      expect(presence).toBe(people > 0 ? 1 : 0);
      expect(model.view.get('sensorStatus')).toBe('ok');
      presences.add(presence);
      if (presence !== last) changes++;
      last = presence;
    }
    expect(presences).toEqual(new Set([0, 1]));
    // Minutes between arrivals and departures, not seconds.
    expect(changes).toBeGreaterThan(2);
    expect(changes).toBeLessThan(200);
  });

  it('reads 0 seconds without movement in an empty room, counts them while someone is inside, and saturates at 65535', () => {
    const model = new OccupancyModel({ profile, seed: 11 });
    let emptyReadings = 0;
    for (let s = 0; s < 3600; s++) {
      model.tick(1000);
      if (model.view.get('people') === 0) {
        emptyReadings++;
        expect(model.view.get('stillSeconds')).toBe(0);
      }
    }
    expect(emptyReadings).toBeGreaterThan(0);
    model.setWandering(false);
    model.setPeople(1);
    model.setStill(true);
    model.tick(30 * 24 * 3_600_000);
    expect(model.view.get('stillSeconds')).toBe(65535);
  });

  it('repeats itself for the same seed', () => {
    const a = new OccupancyModel({ profile, seed: 5 });
    const b = new OccupancyModel({ profile, seed: 5 });
    a.tick(3_600_000);
    b.tick(3_600_000);
    expect(a.bank.getRegisters('holding', 0, 4)).toEqual(b.bank.getRegisters('holding', 0, 4));
  });
});
