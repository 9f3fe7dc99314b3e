import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import type { DeviceState, Points } from '../../../device-drivers/device-state.js';
import { GpioDriver, type GpioKind, type GpioPins, type SmokeContact } from '../../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard } from '../../../device-drivers/gpio/johnny-five-board.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { MockFirmataBoards } from '../gpio/mock-firmata-board.js';

const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 5000, interval: 10 });

const SMOKE = 4;
const STRIKE = 8;
const PIR = 7;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function setup(kind: GpioKind, pins: GpioPins, smokeContact?: SmokeContact) {
  const boards = new MockFirmataBoards();
  const board = new JohnnyFiveBoard({ path: 'mock', createIo: boards.createIo, readyTimeoutMs: 300, reconnectMinMs: 50, reconnectMaxMs: 50, log: silentLogger() });
  const driver = new GpioDriver({ kind, board, pins, strikeActiveLow: false, exitUnlockMs: 60_000, smokeContact, log: silentLogger() });
  const events: DeviceEvent[] = [];
  driver.onEvent((e) => events.push(e));
  cleanup.push(async () => {
    await driver.close();
    await board.close();
  });
  return { boards, driver, events };
}

const online = (points: Points): DeviceState => ({ online: true, points, health: { lastSeen: null, errors: {} as DeviceState['health']['errors'], latencyMs: null } });

describe('GpioDriver as a SmokeDetector', () => {
  it('a normally-closed contact reads smoke when it opens; never closed reads as a detector fault', async () => {
    const { boards, driver, events } = setup('smoke-detector', { smoke: SMOKE }, 'normally-closed');
    const detector = driver.capability;
    if (detector.kind !== 'smoke-detector') throw new Error(`got a ${detector.kind}`);
    await driver.open();
    expect(await driver.read()).toEqual({ smoke: null });
    expect(detector.reading(online(await driver.read()))).toEqual({ online: true, smoke: false, fault: true });
    boards.setInput(SMOKE, 0);
    await eventually(async () => expect(await driver.read()).toEqual({ smoke: false }));
    expect(detector.reading(online(await driver.read()))).toEqual({ online: true, smoke: false, fault: false });
    boards.setInput(SMOKE, 1);
    await eventually(async () => expect(await driver.read()).toEqual({ smoke: true }));
    expect(detector.reading(online(await driver.read()))).toEqual({ online: true, smoke: true, fault: false });
    expect(events).toEqual([
      { type: 'smoke.changed', data: { smoke: false } },
      { type: 'smoke.changed', data: { smoke: true } },
    ]);
  });

  it('a normally-open contact (the default: to ground on alarm) reads smoke when it closes', async () => {
    const { boards, driver } = setup('smoke-detector', { smoke: SMOKE });
    const detector = driver.capability;
    if (detector.kind !== 'smoke-detector') throw new Error(`got a ${detector.kind}`);
    await driver.open();
    // At rest the contact is open, the pin at its idle level: the board never reports it.
    expect(await driver.read()).toEqual({ smoke: false });
    expect(detector.reading(online(await driver.read()))).toEqual({ online: true, smoke: false, fault: false });
    boards.setInput(SMOKE, 0);
    await eventually(async () => expect(await driver.read()).toEqual({ smoke: true }));
    boards.setInput(SMOKE, 1);
    await eventually(async () => expect(await driver.read()).toEqual({ smoke: false }));
  });
});

describe('GpioDriver as an OccupancySensor', () => {
  it('reads PIR presence as one person or none, and nothing before the first report', async () => {
    const { boards, driver } = setup('occupancy', { presence: PIR });
    const sensor = driver.capability;
    if (sensor.kind !== 'occupancy') throw new Error(`got a ${sensor.kind}`);
    await driver.open();
    expect(sensor.reading(online(await driver.read()))).toMatchObject({ usable: true, people: undefined });
    boards.setInput(PIR, 1);
    await eventually(async () => expect(sensor.reading(online(await driver.read()))).toMatchObject({ people: 1 }));
    boards.setInput(PIR, 0);
    await eventually(async () => expect(sensor.reading(online(await driver.read()))).toMatchObject({ people: 0 }));
  });
});

describe('GpioDriver door held released for fire egress', () => {
  it('stays released when the board is lost and comes back, and relocks on release(false)', async () => {
    const { boards, driver } = setup('door-lock', { strike: STRIKE });
    const door = driver.capability;
    if (door.kind !== 'door-lock' || !door.release) throw new Error('the GPIO door has no release');
    await driver.open();
    await door.release(true);
    expect(boards.level(STRIKE)).toBe(1);
    const first = boards.latest;
    first.emit('disconnect');
    await driver.read();
    expect(boards.latest).not.toBe(first);
    expect(boards.level(STRIKE)).toBe(1);
    // An explicit lock does not override fire egress either.
    await driver.lock(1);
    expect(boards.level(STRIKE)).toBe(1);
    await door.release(false);
    expect(boards.level(STRIKE)).toBe(0);
  });
});
