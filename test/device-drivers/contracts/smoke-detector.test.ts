import { vi } from 'vitest';
import type { SmokeDetector } from '../../../device-drivers/capabilities/capabilities.js';
import { DEVICE_ERROR_CODES } from '../../../device-drivers/device-error.js';
import type { DeviceState, ErrorCounters, Points } from '../../../device-drivers/device-state.js';
import { GpioDriver } from '../../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { SmokeDetectorModel } from '../../../simulators/modbus/models/smoke-detector-model.js';
import { MockFirmataBoards } from '../gpio/mock-firmata-board.js';
import { profileOf, startModbusBench } from './modbus-bench.js';
import { smokeDetectorContract } from './smoke-detector-contract.js';

/*
 * Every smoke detector the station can have runs the one contract: each Modbus profile of the
 * kind against its simulator (a new vendor is one more name in the list), and the GPIO contact.
 */
const MODBUS_SMOKE_DETECTORS = ['smoke-ref'];

for (const name of MODBUS_SMOKE_DETECTORS) {
  smokeDetectorContract(`${name} over Modbus TCP (ModbusProfileDriver)`, async () => {
    const profile = profileOf(name);
    const b = await startModbusBench<SmokeDetectorModel, SmokeDetector>(profile, new SmokeDetectorModel({ profile, seed: 9 }), 'smoke-detector');
    return {
      detector: b.capability,
      state: b.state,
      setSmoke: async (on) => b.model.setSmoke(on),
      setFault: async (on) => b.model.setFault(on),
      stop: b.stop,
    };
  });
}

const SMOKE = 4;
const noErrors = (): ErrorCounters => Object.fromEntries(Object.keys(DEVICE_ERROR_CODES).map((k) => [k, 0])) as ErrorCounters;

smokeDetectorContract('GPIO alarm contact, normally open (GpioDriver on mock-firmata)', async () => {
  const boards = new MockFirmataBoards();
  const log = silentLogger();
  const board = new JohnnyFiveBoard({ path: 'mock', createIo: boards.createIo, readyTimeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 50, log });
  const driver = new GpioDriver({ kind: 'smoke-detector', board, pins: { smoke: SMOKE }, strikeActiveLow: false, exitUnlockMs: 60_000, smokeContact: 'normally-open', log });
  await driver.open();
  const detector = driver.capability;
  if (detector.kind !== 'smoke-detector') throw new Error(`a GPIO smoke-detector exposed a ${detector.kind}`);
  const state = async (): Promise<DeviceState> => ({ online: true, points: await driver.read(), health: { lastSeen: null, errors: noErrors(), latencyMs: null } });
  let level: 0 | 1 = 1;
  return {
    detector,
    state,
    setSmoke: async (on) => {
      const next = on ? 0 : 1;
      // The board reports changes only: the contact's level as it is wired, set when it differs.
      if (next !== level) boards.setInput(SMOKE, next);
      level = next;
      await vi.waitFor(async () => {
        const points: Points = await driver.read();
        if (points['smoke'] !== on) throw new Error('not seen yet');
      });
    },
    stop: async () => {
      await driver.close();
      await board.close();
    },
  };
});
