import { afterEach, describe, expect, it } from 'vitest';
import type { SmokeDetector } from '../../../device-drivers/capabilities/capabilities.js';
import type { DeviceState } from '../../../device-drivers/device-state.js';

/** A SmokeDetector on its real stand-in, with the hand that makes smoke (and, where it can, a fault). */
export interface SmokeDetectorBench {
  detector: SmokeDetector;
  /** One poll, as the DeviceMonitor would hand it to the station logic. */
  state(): Promise<DeviceState>;
  /** Smoke in the detector (or clear); resolves once the driver can have seen it. */
  setSmoke(on: boolean): Promise<void>;
  /** A detector reporting its own fault, where the device can say so. */
  setFault?: (on: boolean) => Promise<void>;
  stop(): Promise<void>;
}

/** What every smoke detector must do for the station logic, whatever it is wired to. */
export function smokeDetectorContract(name: string, makeBench: () => Promise<SmokeDetectorBench>): void {
  describe(`SmokeDetector contract: ${name}`, () => {
    let bench: SmokeDetectorBench | undefined;
    const start = async (): Promise<SmokeDetectorBench> => {
      bench = await makeBench();
      return bench;
    };
    afterEach(async () => {
      await bench?.stop();
      bench = undefined;
    });

    it('reads clear air as no smoke and no fault', async () => {
      const b = await start();
      expect(b.detector.kind).toBe('smoke-detector');
      await b.setSmoke(false);
      expect(b.detector.reading(await b.state())).toEqual({ online: true, smoke: false, fault: false });
    });

    it('reads smoke, and its clearing', async () => {
      const b = await start();
      await b.setSmoke(true);
      expect(b.detector.reading(await b.state())).toMatchObject({ online: true, smoke: true });
      await b.setSmoke(false);
      expect(b.detector.reading(await b.state())).toMatchObject({ smoke: false });
    });

    it('reads the detector\'s own fault, where it reports one', async (ctx) => {
      const b = await start();
      if (!b.setFault) {
        ctx.skip();
        return;
      }
      await b.setSmoke(false);
      await b.setFault(true);
      expect(b.detector.reading(await b.state())).toMatchObject({ smoke: false, fault: true });
      await b.setFault(false);
      expect(b.detector.reading(await b.state())).toMatchObject({ fault: false });
    });

    it('reads an offline detector as offline', async () => {
      const b = await start();
      const state = await b.state();
      expect(b.detector.reading({ ...state, online: false }).online).toBe(false);
    });
  });
}
