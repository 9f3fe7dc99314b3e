import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { GpioDriver, type GpioPins } from '../../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { MockFirmataBoards } from './mock-firmata-board.js';

const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 5000, interval: 10 });

const PIR = 7;
const STRIKE = 8;
const EXIT = 2;
const CONTACT = 3;
const LED = 13;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(kind: 'occupancy' | 'door-lock', pins: GpioPins, options: { strikeActiveLow?: boolean; exitUnlockMs?: number } = {}) {
  const boards = new MockFirmataBoards();
  const board = new JohnnyFiveBoard({ path: 'mock', createIo: boards.createIo, readyTimeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 50, log: silentLogger() });
  const driver = new GpioDriver({ kind, board, pins, strikeActiveLow: options.strikeActiveLow ?? false, exitUnlockMs: options.exitUnlockMs ?? 60_000, log: silentLogger() });
  const events: DeviceEvent[] = [];
  driver.onEvent((e) => events.push(e));
  cleanup.push(async () => {
    await driver.close();
    await board.close();
  });
  return { boards, board, driver, events };
}

describe('GpioDriver on johnny-five with mock-firmata', () => {
  it('reports PIR presence as a point and as presence.changed events', async () => {
    const { boards, driver, events } = setup('occupancy', { presence: PIR, statusLed: LED });
    await driver.open();
    expect(await driver.read()).toEqual({ presence: null });
    boards.setInput(PIR, 1);
    await eventually(async () => expect(await driver.read()).toEqual({ presence: true }));
    expect(boards.level(LED)).toBe(1);
    boards.setInput(PIR, 0);
    await eventually(async () => expect(await driver.read()).toEqual({ presence: false }));
    expect(events).toEqual([
      { type: 'presence.changed', data: { presence: true } },
      { type: 'presence.changed', data: { presence: false } },
    ]);
    expect(boards.level(LED)).toBe(0);
  });

  it('releases the strike on unlock and relocks after the time; the LED follows', async () => {
    const { boards, driver } = setup('door-lock', { strike: STRIKE, statusLed: LED });
    await driver.open();
    expect(boards.level(STRIKE)).toBe(0);
    expect(await driver.unlock(1, 150)).toEqual({ door: 1, released: true, acknowledged: true });
    expect(boards.level(STRIKE)).toBe(1);
    expect(boards.level(LED)).toBe(1);
    expect(await driver.read()).toEqual({ doors: { '1': { bolt: 'unlocked', door: null } } });
    await eventually(async () => expect(await driver.read()).toEqual({ doors: { '1': { bolt: 'locked', door: null } } }));
    expect(boards.level(STRIKE)).toBe(0);
    expect(boards.level(LED)).toBe(0);
  });

  it('drives an active-low relay module inverted', async () => {
    const { boards, driver } = setup('door-lock', { strike: STRIKE }, { strikeActiveLow: true });
    await driver.open();
    expect(boards.level(STRIKE)).toBe(1);
    await driver.unlock(1, 60_000);
    expect(boards.level(STRIKE)).toBe(0);
    await driver.lock(1);
    expect(boards.level(STRIKE)).toBe(1);
  });

  it('refuses a door it does not have', async () => {
    const { driver } = setup('door-lock', { strike: STRIKE });
    await driver.open();
    await expect(driver.unlock(2, 1000)).rejects.toMatchObject({ code: 'REFUSED', detail: { code: 'BADDOOR' } });
    const pirOnly = setup('occupancy', { presence: PIR }).driver;
    await expect(pirOnly.unlock(1, 1000)).rejects.toMatchObject({ code: 'REFUSED' });
  });

  it('the exit button emits exit.pressed and releases the strike; the contact reports door changes', async () => {
    const { boards, driver, events } = setup('door-lock', { strike: STRIKE, exitButton: EXIT, doorContact: CONTACT }, { exitUnlockMs: 60_000 });
    await driver.open();
    boards.setInput(CONTACT, 0); // closed door: contact pulls the pin low
    await eventually(async () => expect(await driver.read()).toMatchObject({ doors: { '1': { door: 'closed' } } }));
    boards.setInput(EXIT, 0); // pressed: to ground
    await eventually(() => expect(events).toContainEqual({ type: 'exit.pressed', data: { door: 1 } }));
    expect(boards.level(STRIKE)).toBe(1);
    boards.setInput(EXIT, 1);
    boards.setInput(CONTACT, 1);
    await eventually(() => expect(events).toContainEqual({ type: 'door.opened', data: { door: 1 } }));
    boards.setInput(CONTACT, 0);
    await eventually(() => expect(events).toContainEqual({ type: 'door.closed', data: { door: 1 } }));
    expect(events.filter((e) => e.type === 'exit.pressed')).toHaveLength(1);
  });

  it('a board that never gets ready is DISCONNECTED; polls retry with backoff and succeed when it answers', async () => {
    const { boards, driver } = setup('occupancy', { presence: PIR });
    boards.answering = false;
    await driver.open();
    await expect(driver.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    // Within the backoff, no new attempt: the failure comes at once, no board is built.
    const built = boards.ios.length;
    await expect(driver.read()).rejects.toThrow(/next attempt/);
    expect(boards.ios.length).toBe(built);
    boards.answering = true;
    await eventually(async () => expect(await driver.read()).toEqual({ presence: null }));
  });

  it('a board that disconnects is reconnected by the next poll and its pins are set up again', async () => {
    const { boards, driver } = setup('occupancy', { presence: PIR });
    await driver.open();
    boards.setInput(PIR, 1);
    await eventually(async () => expect(await driver.read()).toEqual({ presence: true }));
    const first = boards.latest;
    first.emit('disconnect');
    const err: unknown = await driver.read().then(
      () => undefined,
      (e: unknown) => e,
    );
    // The lost link is replaced at once (the board is back): a fresh IO, a fresh pin reader.
    expect(err).toBeUndefined();
    expect(boards.latest).not.toBe(first);
    boards.setInput(PIR, 0);
    await eventually(async () => expect(await driver.read()).toEqual({ presence: false }));
  });

  it('reports DISCONNECTED after the board is closed', async () => {
    const { board, driver } = setup('occupancy', { presence: PIR });
    await driver.open();
    await board.close();
    await expect(driver.read()).rejects.toBeInstanceOf(DeviceError);
  });
});
