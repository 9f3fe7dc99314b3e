import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DoorController } from '../../../device-drivers/capabilities/capabilities.js';
import { DeviceError } from '../../../device-drivers/device-error.js';

/** A DoorController on its real hardware stand-in, with a way to see the bolt from the device's side. */
export interface DoorControllerBench {
  controller: DoorController;
  /** A door the controller has. */
  door: number;
  /** A door it does not have. */
  unknownDoor: number;
  /** Whether the device holds `door` released right now (the simulator's bolt, the relay pin). */
  released(door: number): boolean;
  stop(): Promise<void>;
}

const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 20 });

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeviceError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/**
 * What every door implementation must do for the station logic, which sees only DoorController.
 * Register it once per implementation with a factory for a fresh bench.
 */
export function doorControllerContract(name: string, makeBench: () => Promise<DoorControllerBench>): void {
  describe(`DoorController contract: ${name}`, () => {
    let bench: DoorControllerBench | undefined;
    const start = async (): Promise<DoorControllerBench> => {
      bench = await makeBench();
      return bench;
    };
    afterEach(async () => {
      await bench?.stop();
      bench = undefined;
    });

    it('is a door-lock capability and starts with the door locked', async () => {
      const b = await start();
      expect(b.controller.kind).toBe('door-lock');
      expect(b.released(b.door)).toBe(false);
    });

    it('unlock(door, ms) releases that door at once and it relocks by itself after ms', async () => {
      const b = await start();
      const result = await b.controller.unlock(b.door, 400);
      expect(result).toEqual({ door: b.door, released: true, acknowledged: true });
      expect(b.released(b.door)).toBe(true);
      await eventually(() => expect(b.released(b.door)).toBe(false));
    });

    it('unlocking a released door again keeps it released for the new time (how the station re-pulses in a fire)', async () => {
      const b = await start();
      await b.controller.unlock(b.door, 600);
      await new Promise((r) => setTimeout(r, 300));
      await b.controller.unlock(b.door, 5_000);
      // Past the first unlock's end: the second one holds it.
      await new Promise((r) => setTimeout(r, 700));
      expect(b.released(b.door)).toBe(true);
    });

    it('a door it does not have rejects with a typed DeviceError and releases nothing', async () => {
      const b = await start();
      const err = await rejection(b.controller.unlock(b.unknownDoor, 1_000));
      expect(err.code).toBe('REFUSED');
      expect(err.detail).toMatchObject({ code: 'BADDOOR' });
      expect(b.released(b.door)).toBe(false);
    });

    it('release(true) holds the door released past any unlock time until release(false), where the hardware can', async (ctx) => {
      const b = await start();
      const release = b.controller.release;
      if (!release) {
        // Timed releases only: the station re-pulses (the test above); nothing else to hold it to.
        ctx.skip();
        return;
      }
      await release(true);
      expect(b.released(b.door)).toBe(true);
      await b.controller.unlock(b.door, 200);
      await new Promise((r) => setTimeout(r, 500));
      expect(b.released(b.door)).toBe(true);
      await release(false);
      await eventually(() => expect(b.released(b.door)).toBe(false));
    });
  });
}
