import { afterEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../../config/profile-schema.js';
import type { OccupancySensor } from '../../../device-drivers/capabilities/capabilities.js';
import { OccupancyModel } from '../../../simulators/modbus/models/occupancy-model.js';
import { startModbusBench, type ModbusBench } from './modbus-bench.js';

/** The simulator an occupancy profile runs against: the project's sensor model, following the profile. */
export type OccupancySimulator = (profile: Profile) => OccupancyModel;

export const occupancyModel: OccupancySimulator = (profile) => {
  const model = new OccupancyModel({ profile, seed: 3 });
  // Nobody wanders in or out by chance while a test counts.
  model.setWandering(false);
  return model;
};

type Bench = ModbusBench<OccupancyModel, OccupancySensor>;

const bound = (profile: Profile, role: string): boolean => profile.roles[role] !== undefined;

/**
 * What every occupancy sensor must do for the station logic, run on the real ModbusProfileDriver
 * over a Modbus TCP socket to the simulator of `profile`.
 */
export function occupancySensorContract(profile: Profile, simulator: OccupancySimulator = occupancyModel): void {
  describe(`OccupancySensor contract: ${profile.id} (${profile.vendor} ${profile.model})`, () => {
    let bench: Bench | undefined;
    const start = async (): Promise<Bench> => {
      bench = await startModbusBench<OccupancyModel, OccupancySensor>(profile, simulator(profile), 'occupancy');
      return bench;
    };
    afterEach(async () => {
      await bench?.stop();
      bench = undefined;
    });

    /** A counting sensor says how many; one that only sees presence says 1. */
    const people = (n: number): number => (bound(profile, 'people') ? n : Math.min(n, 1));

    it('reads how many people are inside, and nobody', async () => {
      const b = await start();
      expect(b.capability.kind).toBe('occupancy');
      b.model.setPeople(3);
      expect(b.capability.reading(await b.state())).toMatchObject({ online: true, usable: true, people: people(3) });
      b.model.setPeople(0);
      expect(b.capability.reading(await b.state())).toMatchObject({ usable: true, people: 0 });
    });

    it('reads how long a person has been still, where bound', async () => {
      const b = await start();
      b.model.setPeople(1);
      b.model.setStill(true);
      b.model.tick(90_000);
      const r = b.capability.reading(await b.state());
      if (!bound(profile, 'stillSeconds')) {
        expect(r.stillSeconds).toBeUndefined();
        return;
      }
      expect(b.model.snapshot().stillSeconds).toBeGreaterThanOrEqual(90);
      expect(Math.abs((r.stillSeconds ?? NaN) - b.model.snapshot().stillSeconds)).toBeLessThanOrEqual(1);
    });

    it('a sensor reporting a fault is not usable, where the profile binds the fault', async () => {
      const b = await start();
      b.model.setSensorFault(true);
      expect(b.capability.reading(await b.state()).usable).toBe(!bound(profile, 'sensorFault'));
      b.model.setSensorFault(false);
      expect(b.capability.reading(await b.state()).usable).toBe(true);
    });

    it('an offline sensor is not usable, and a poll without the points reads undefined people', async () => {
      const b = await start();
      const state = await b.state();
      expect(b.capability.reading({ ...state, online: false }).usable).toBe(false);
      expect(b.capability.reading({ ...state, points: {} }).people).toBeUndefined();
    });
  });
}
