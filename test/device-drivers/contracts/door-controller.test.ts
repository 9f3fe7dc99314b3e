import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createDoorLockDriver } from '../../../device-drivers/door-lock/door-lock-driver.js';
import { GpioDriver, GPIO_DOOR } from '../../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { startDoorLockSimulator } from '../../../simulators/line/door-lock-sim.js';
import { MockFirmataBoards } from '../gpio/mock-firmata-board.js';
import { doorControllerContract } from './door-controller-contract.js';

const log = pino({ level: 'silent' });

doorControllerContract('serial lock controller (DoorLockDriver) against the door lock simulator over a pty', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'door-contract-'));
  const devicePath = path.join(dir, 'lock');
  const sim = await startDoorLockSimulator({ path: devicePath, doors: 2 });
  const driver = createDoorLockDriver({ serial: { path: devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 }, doors: [1, 2], timeoutMs: 2000, log });
  await driver.open();
  return {
    controller: driver.capability,
    door: 2,
    unknownDoor: 9,
    released: (door) => sim.state(door).bolt === 'unlocked',
    stop: async () => {
      await driver.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

const STRIKE = 8;

doorControllerContract('GPIO strike relay (GpioDriver) on mock-firmata', async () => {
  const boards = new MockFirmataBoards();
  const board = new JohnnyFiveBoard({ path: 'mock', createIo: boards.createIo, readyTimeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 50, log });
  const driver = new GpioDriver({ kind: 'door-lock', board, pins: { strike: STRIKE }, strikeActiveLow: false, exitUnlockMs: 60_000, log });
  await driver.open();
  const controller = driver.capability;
  if (controller.kind !== 'door-lock') throw new Error(`a GPIO door-lock exposed a ${controller.kind}`);
  return {
    controller,
    door: GPIO_DOOR,
    unknownDoor: 2,
    released: () => boards.level(STRIKE) === 1,
    stop: async () => {
      await driver.close();
      await board.close();
    },
  };
});
