import { describe, expect, it, vi } from 'vitest';
import { GpioDriver } from '../../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MockFirmataBoards } from './mock-firmata-board.js';

const STRIKE = 8;
const EXIT = 2;

describe('GPIO strike relock on the driver clock', () => {
  it('keeps the strike released for exactly the exit time, and a held release outlasts it', async () => {
    const boards = new MockFirmataBoards();
    const clock = new FakeClock();
    // The board keeps real time (mock-firmata answers on real timers); the relock runs on the fake one.
    const board = new JohnnyFiveBoard({ path: 'mock', createIo: boards.createIo, readyTimeoutMs: 300, log: silentLogger() });
    const driver = new GpioDriver({ kind: 'door-lock', board, pins: { strike: STRIKE, exitButton: EXIT }, strikeActiveLow: false, exitUnlockMs: 10_000, clock, log: silentLogger() });
    try {
      await driver.open();
      boards.setInput(EXIT, 0);
      await vi.waitFor(() => expect(boards.level(STRIKE)).toBe(1), { timeout: 5000, interval: 10 });
      clock.advance(9_999);
      expect(boards.level(STRIKE), 'still released just before the exit time').toBe(1);
      clock.advance(1);
      expect(boards.level(STRIKE)).toBe(0);

      await driver.unlock(1, 5_000);
      await driver.holdReleased(true);
      clock.advance(60_000);
      expect(boards.level(STRIKE), 'fire egress: no timer relocks a held door').toBe(1);
      expect(clock.pending()).toBe(0);
    } finally {
      await driver.close();
      await board.close();
    }
  });
});
