import { afterEach, describe, expect, it } from 'vitest';
import type { Profile } from '../../../config/profile-schema.js';
import type { WaterDispenser } from '../../../device-drivers/capabilities/capabilities.js';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { startModbusBench, type ModbusBench } from './modbus-bench.js';

/** The simulator a dispenser profile runs against: the project's dispenser model, following the profile. */
export type DispenserSimulator = (profile: Profile) => WaterDispenserModel;

export const dispenserModel: DispenserSimulator = (profile) => new WaterDispenserModel({ profile, seed: 5 });

type Bench = ModbusBench<WaterDispenserModel, WaterDispenser>;

const bound = (profile: Profile, role: string): boolean => profile.roles[role] !== undefined;

/**
 * What every water dispenser must do for the station logic, run on the real ModbusProfileDriver
 * over a Modbus TCP socket to the simulator of `profile`.
 */
export function waterDispenserContract(profile: Profile, simulator: DispenserSimulator = dispenserModel): void {
  describe(`WaterDispenser contract: ${profile.id} (${profile.vendor} ${profile.model})`, () => {
    let bench: Bench | undefined;
    const start = async (): Promise<Bench> => {
      bench = await startModbusBench<WaterDispenserModel, WaterDispenser>(profile, simulator(profile), 'water-dispenser');
      return bench;
    };
    afterEach(async () => {
      await bench?.stop();
      bench = undefined;
    });

    it('reads an idle dispenser as the simulator holds it', async () => {
      const b = await start();
      const r = b.capability.reading(await b.state());
      const s = b.model.snapshot();
      expect(b.capability.kind).toBe('water-dispenser');
      expect(r).toMatchObject({ online: true, leak: false, dispensing: false });
      expect(r.valveOpen).toBe(profile.lacks.includes('valveReadback') ? undefined : s.dispensingEnabled);
      if (bound(profile, 'tankLevel')) expect(Math.abs((r.tankLevel ?? NaN) - s.tankLevel)).toBeLessThanOrEqual(1);
      else expect(r.tankLevel).toBeUndefined();
      if (bound(profile, 'hotTemperature')) expect(Math.abs((r.hotTemperature ?? NaN) - s.hotTemp)).toBeLessThanOrEqual(0.6);
      else expect(r.hotTemperature).toBeUndefined();
      if (!bound(profile, 'sessionVolume')) expect(r.sessionVolume).toBeUndefined();
    });

    it('reads a leak', async () => {
      const b = await start();
      b.model.setLeak(true);
      expect(b.capability.reading(await b.state()).leak).toBe(true);
      b.model.setLeak(false);
      expect(b.capability.reading(await b.state()).leak).toBe(false);
    });

    it('reads a draw: dispensing while it runs, and its volume', async () => {
      const b = await start();
      b.model.startSession(400);
      b.model.tick(1000);
      const s = b.model.snapshot();
      expect(s.session).toBe('dispensing');
      const r = b.capability.reading(await b.state());
      expect(r.dispensing).toBe(true);
      if (bound(profile, 'sessionVolume')) {
        expect(s.sessionVolume).toBeGreaterThan(0);
        expect(r.sessionVolume).toBe(s.sessionVolume);
      }
      b.model.endSession();
      expect(b.capability.reading(await b.state()).dispensing).toBe(false);
    });

    it('setDispensing(false) shuts the valve and (true) opens it again', async () => {
      const b = await start();
      await b.capability.setDispensing(false);
      expect(b.model.snapshot().dispensingEnabled).toBe(false);
      expect(b.capability.reading(await b.state()).valveOpen).toBe(profile.lacks.includes('valveReadback') ? undefined : false);
      await b.capability.setDispensing(true);
      expect(b.model.snapshot().dispensingEnabled).toBe(true);
      expect(b.capability.reading(await b.state()).valveOpen).toBe(profile.lacks.includes('valveReadback') ? undefined : true);
    });

    it('a poll that carried nothing reads undefined numbers, never a made-up 0', async () => {
      const b = await start();
      const state = await b.state();
      const r = b.capability.reading({ ...state, online: false, points: {} });
      expect(r).toMatchObject({ online: false, sessionVolume: undefined, tankLevel: undefined, valveOpen: undefined, hotTemperature: undefined });
    });
  });
}

