import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { createDoorLockDriver, type DoorLockDriver } from '../../../device-drivers/door-lock/door-lock-driver.js';
import { createQrScannerDriver, type QrScannerDriver } from '../../../device-drivers/qr-scanner/qr-scanner-driver.js';
import { startSimulators, type StationSimulator } from '../../../simulators/simulator-set.js';

/*
 * The door lock and the QR scanner drivers over `serial-tcp`, end to end against the simulators
 * serving those devices on TCP listeners as a serial device server (ser2net, Moxa) would.
 */

const log = pino({ level: 'silent' });
const eventually = <T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> => vi.waitFor(check, { timeout, interval: 25 });

function tcpOf(sim: StationSimulator, id: string): { host: string; port: number } {
  const e = sim.device(id).endpoint;
  if (e.transport !== 'serial-tcp') throw new Error(`${id} is on ${e.transport}`);
  return { host: e.host, port: e.port };
}

describe('line devices over a serial device server (serial-tcp)', () => {
  let sim: StationSimulator | undefined;
  let lock: DoorLockDriver | undefined;
  let scanner: QrScannerDriver | undefined;

  afterEach(async () => {
    await lock?.close();
    await scanner?.close();
    await sim?.stop();
    lock = scanner = sim = undefined;
  });

  it('the lock reads, unlocks and sends its events; the scanner delivers scans', async () => {
    sim = await startSimulators([
      { id: 'lock-1', kind: 'door-lock', transport: { type: 'serial-tcp', port: 0 }, doors: 2 },
      { id: 'scanner-1', kind: 'qr-scanner', transport: { type: 'serial-tcp', port: 0 } },
    ]);
    expect(sim.device('lock-1').address).toMatch(/^serial-tcp 127\.0\.0\.1:\d+$/);
    const events: DeviceEvent[] = [];
    lock = createDoorLockDriver({ tcp: tcpOf(sim, 'lock-1'), doors: [1, 2], timeoutMs: 2000, log });
    lock.onEvent((e) => events.push(e));
    await lock.open();
    expect(await lock.read()).toEqual({
      doors: { '1': { bolt: 'locked', door: 'closed' }, '2': { bolt: 'locked', door: 'closed' } },
      firmware: 'LK-REF 1.4.2',
    });
    expect(await lock.unlock(1, 30_000)).toEqual({ door: 1, released: true, acknowledged: true });
    expect((await lock.status(1)).bolt).toBe('unlocked');
    await sim.command('lock-1 door 1 open');
    await eventually(() => expect(events).toContainEqual({ type: 'door.opened', data: { door: 1 } }));

    const scans: DeviceEvent[] = [];
    scanner = createQrScannerDriver({ tcp: tcpOf(sim, 'scanner-1'), log });
    scanner.onEvent((e) => scans.push(e));
    await scanner.open();
    await eventually(async () => expect(await scanner!.read()).toMatchObject({ scans: 0 }));
    await sim.command('scanner-1 scan ABC.def-123');
    await eventually(() => expect(scans).toEqual([{ type: 'scan', data: { text: 'ABC.def-123' } }]));
  });

  it('the lock comes back after the device server drops the link', async () => {
    sim = await startSimulators([{ id: 'lock-1', kind: 'door-lock', transport: { type: 'serial-tcp', port: 0 }, doors: 1 }]);
    lock = createDoorLockDriver({ tcp: tcpOf(sim, 'lock-1'), doors: [1], timeoutMs: 1000, log, keeper: { reopenMinMs: 50, reopenMaxMs: 200 } });
    await lock.open();
    await lock.read();
    expect(await sim.command('lock-1 drop 400ms')).toMatch(/dropped/);
    const failure = await lock.read().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DeviceError);
    expect((failure as DeviceError).code).toBe('DISCONNECTED');
    await eventually(async () => expect(await lock!.read()).toMatchObject({ doors: { '1': { bolt: 'locked' } } }));
  });

  it('serves one client at a time: a new connection replaces the old one', async () => {
    sim = await startSimulators([{ id: 'scanner-1', kind: 'qr-scanner', transport: { type: 'serial-tcp', port: 0 } }]);
    const { port } = tcpOf(sim, 'scanner-1');
    const first = net.createConnection({ host: '127.0.0.1', port });
    first.on('error', () => undefined);
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    await new Promise<void>((resolve) => first.once('connect', () => resolve()));
    const scans: DeviceEvent[] = [];
    scanner = createQrScannerDriver({ tcp: { host: '127.0.0.1', port }, log });
    scanner.onEvent((e) => scans.push(e));
    await scanner.open();
    await firstClosed;
    await sim.command('scanner-1 scan second-client');
    await eventually(() => expect(scans).toEqual([{ type: 'scan', data: { text: 'second-client' } }]));
  });
});
