import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { DoorLockDriver, createDoorLockDriver } from '../../../device-drivers/door-lock/door-lock-driver.js';
import { startDoorLockSimulator } from '../../../simulators/line/door-lock-sim.js';
import type { DoorLockSimulator } from '../../../simulators/line/door-lock-sim.js';

const log = pino({ level: 'silent' });

/** Retries until `check` stops throwing (bounded), so no test depends on how fast the machine is. */
const eventually = <T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> => vi.waitFor(check, { timeout, interval: 25 });

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeviceError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('DoorLockDriver against the simulator over a pty', () => {
  let dir: string;
  let devicePath: string;
  let sim: DoorLockSimulator | undefined;
  let driver: DoorLockDriver | undefined;
  let events: DeviceEvent[];

  // A generous timeout: a reply that merely comes late on a loaded machine must not fail a test.
  const makeDriver = (timeoutMs = 2000): DoorLockDriver => {
    driver = createDoorLockDriver({
      serial: { path: devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
      doors: [1, 2],
      timeoutMs,
      log,
    });
    driver.onEvent((e) => events.push(e));
    return driver;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'door-lock-test-'));
    devicePath = path.join(dir, 'lock');
    events = [];
  });

  afterEach(async () => {
    await driver?.close();
    await sim?.stop();
    driver = undefined;
    sim = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the status of every door and learns the model from PONG', async () => {
    sim = await startDoorLockSimulator({ path: devicePath, doors: 2 });
    const d = makeDriver();
    expect(d.model).toBe('lk-ref');
    await d.open();
    expect(await d.read()).toEqual({
      doors: { '1': { bolt: 'locked', door: 'closed' }, '2': { bolt: 'locked', door: 'closed' } },
      firmware: 'LK-REF 1.4.2',
    });
    expect(d.model).toBe('lk-ref');
    expect(d.deadbands()).toEqual({});
  });

  it('unlocks, relocks on command, and the controller relocks by itself after the unlock time', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    expect(await d.unlock(1, 30_000)).toEqual({ door: 1, released: true, acknowledged: true });
    expect(await d.status(1)).toEqual({ bolt: 'unlocked', door: 'closed' });
    expect(await d.status(2)).toEqual({ bolt: 'locked', door: 'closed' });
    await d.lock(1);
    expect((await d.status(1)).bolt).toBe('locked');

    await d.unlock(2, 100);
    await eventually(async () => expect((await d.status(2)).bolt).toBe('locked'));
  });

  it('reports ERR replies as REFUSED with the controller code', async () => {
    sim = await startDoorLockSimulator({ path: devicePath, doors: 2 });
    const d = makeDriver();
    await d.open();
    const badDoor = await rejection(d.unlock(3, 1000));
    expect(badDoor.code).toBe('REFUSED');
    expect(badDoor.detail).toMatchObject({ code: 'BADDOOR' });
    expect((await rejection(d.unlock(1, 50))).detail).toMatchObject({ code: 'BADARG' });
    sim.faults({ jammed: [2] });
    expect((await rejection(d.unlock(2, 1000))).detail).toMatchObject({ code: 'JAMMED' });
    expect(d.counters().refused).toBe(3);
  });

  it('turns unsolicited frames into device events', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    await d.read();
    // The BOOT sent at the simulator's start is usually flushed when the port opens, but may arrive
    // just after; it is on the line before the PONG, so after read() it is in or out for good.
    events.length = 0;
    const before = d.counters().events;

    await sim.openDoor(1);
    await sim.closeDoor(1);
    await sim.pressExit(2);
    await sim.tamper();
    await sim.reboot();
    await eventually(() => expect(events).toHaveLength(5));
    expect(events).toEqual([
      { type: 'door.opened', data: { door: 1 } },
      { type: 'door.closed', data: { door: 1 } },
      { type: 'exit.pressed', data: { door: 2 } },
      { type: 'lock.tamper', data: {} },
      { type: 'lock.boot', data: { firmware: 'LK-REF 1.4.2' } },
    ]);
    expect(d.counters().events).toBe(before + 5);
  });

  it('the exit button releases the door without the gateway', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    await sim.pressExit(1);
    expect(sim.state(1).bolt).toBe('unlocked');
    expect((await d.status(1)).bolt).toBe('unlocked');
  });

  it('drops and counts frames with a bad checksum or no checksum, and keeps reading', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    await d.read();
    events.length = 0; // a start-up BOOT, if it was not flushed (see above)

    sim.faults({ corruptChecksum: true });
    await sim.openDoor(1);
    await eventually(() => expect(d.counters().checksum).toBe(1));
    await sim.sendRaw('0 EVT DOOR 1 CLOSED\r\n');
    await sim.sendRaw(Buffer.from([0x00, 0xff, 0x07, 0x0d, 0x0a]));
    await eventually(() => expect(d.counters().protocol).toBe(2));
    expect(events).toEqual([]);

    sim.faults({ corruptChecksum: false });
    await sim.closeDoor(1);
    await eventually(() => expect(events).toEqual([{ type: 'door.closed', data: { door: 1 } }]));
    expect((await d.read()).doors).toMatchObject({ '1': { bolt: 'locked', door: 'closed' } });
  });

  it('a reply with a bad checksum is a CHECKSUM failure, retried once for an idempotent request', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver(300);
    await d.open();
    sim.faults({ corruptChecksum: true });
    expect((await rejection(d.status(1))).code).toBe('CHECKSUM');
    expect(d.counters()).toMatchObject({ checksum: 2, timeouts: 2 });
  });

  it('times out when the controller stops answering, and recovers when it answers again', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver(1000);
    await d.open();
    await d.read();
    const before = sim.counters().requests;

    sim.faults({ silent: true });
    const err = await rejection(d.read());
    expect(err.code).toBe('TIMEOUT');
    expect(err.detail).toMatchObject({ verb: 'STATUS' });
    // STATUS is idempotent: asked twice before giving up.
    await eventually(() => expect(sim?.counters().requests).toBe(before + 2));

    sim.faults({ silent: false });
    expect((await d.read()).doors).toMatchObject({ '1': { bolt: 'locked' } });
  });

  it('never retries UNLOCK: a lost OK is confirmed by STATUS', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver(1000);
    await d.open();
    sim.faults({ muteVerbs: ['UNLOCK'] });
    expect(await d.unlock(1, 30_000)).toEqual({ door: 1, released: true, acknowledged: false });
    const c = d.counters();
    expect(c.timeouts).toBe(1);
    expect(c.requests).toBe(2); // one UNLOCK, one STATUS
  });

  it('an unacknowledged UNLOCK with the bolt still locked is a TIMEOUT that says so', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver(1000);
    await d.open();
    sim.faults({ muteVerbs: ['UNLOCK'], jammed: [1] });
    const err = await rejection(d.unlock(1, 5000));
    expect(err.code).toBe('TIMEOUT');
    expect(err.detail).toMatchObject({ door: 1, released: false });

    sim.faults({ silent: true });
    const unknown = await rejection(d.unlock(1, 5000));
    expect(unknown.code).toBe('TIMEOUT');
    expect(unknown.detail).toMatchObject({ door: 1, released: 'unknown' });
  });

  it('reports DISCONNECTED when the controller goes away, and reads again once it is back', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    await d.read();

    // Stopping the simulator kills socat: to the driver, the adapter was unplugged.
    await sim.stop();
    sim = undefined;
    expect((await rejection(d.read())).code).toBe('DISCONNECTED');

    sim = await startDoorLockSimulator({ path: devicePath });
    const points = await eventually(() => d.read());
    expect(points.firmware).toBe('LK-REF 1.4.2');
  });

  it('opens without throwing when the controller is absent; read() says DISCONNECTED', async () => {
    const d = makeDriver();
    await d.open();
    expect((await rejection(d.read())).code).toBe('DISCONNECTED');
    sim = await startDoorLockSimulator({ path: devicePath });
    // Reopening is spaced by backoff: the next read fails at once without touching the port, a later one opens it.
    expect(await rejection(d.read())).toMatchObject({ code: 'DISCONNECTED', detail: { skipped: true } });
    await eventually(async () => expect((await d.read()).firmware).toBe('LK-REF 1.4.2'));
  });

  it('after close(), read() is DISCONNECTED and does not reopen the port', async () => {
    sim = await startDoorLockSimulator({ path: devicePath });
    const d = makeDriver();
    await d.open();
    await d.close();
    expect((await rejection(d.read())).code).toBe('DISCONNECTED');
  });
});
