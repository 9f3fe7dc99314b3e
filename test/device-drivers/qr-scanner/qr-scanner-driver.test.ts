import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { QrScannerDriver, createQrScannerDriver } from '../../../device-drivers/qr-scanner/qr-scanner-driver.js';
import { startQrScannerSimulator } from '../../../simulators/line/qr-scanner-sim.js';
import type { QrScannerSimulator } from '../../../simulators/line/qr-scanner-sim.js';

/** Retries until `check` stops throwing (bounded), so no test depends on how fast the machine is. */
const eventually = <T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> => vi.waitFor(check, { timeout, interval: 25 });

describe('QrScannerDriver against the simulator over a pty', () => {
  let dir: string;
  let devicePath: string;
  let sim: QrScannerSimulator | undefined;
  let driver: QrScannerDriver | undefined;
  let scans: string[];
  let logged: string;

  const start = async (terminator?: '\r' | '\n' | '\r\n'): Promise<QrScannerDriver> => {
    sim = await startQrScannerSimulator({ path: devicePath, terminator });
    // Debug level, captured: the test checks that no scanned text reaches the log.
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    driver = createQrScannerDriver({
      serial: { path: devicePath, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
      log: pino({ level: 'debug' }, sink),
    });
    driver.onEvent((e: DeviceEvent) => scans.push(e.type === 'scan' ? String(e.data.text) : `unexpected ${e.type}`));
    await driver.open();
    return driver;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qr-scanner-test-'));
    devicePath = path.join(dir, 'qr');
    scans = [];
    logged = '';
  });

  afterEach(async () => {
    await driver?.close();
    await sim?.stop();
    driver = undefined;
    sim = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('emits each scan as an event and counts it, without logging the text', async () => {
    const d = await start();
    expect(await d.read()).toEqual({ scans: 0, dropped: 0, lastScanAt: null });
    const token = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ3b3JrZXItNDIifQ.c2lnbmF0dXJl';
    await sim?.scan(token);
    await sim?.scan('Ünïcödé-пароль-通行证');
    await eventually(() => expect(scans).toEqual([token, 'Ünïcödé-пароль-通行证']));
    const points = await d.read();
    expect(points).toMatchObject({ scans: 2, dropped: 0 });
    expect(typeof points.lastScanAt).toBe('string');
    expect(logged).toContain('"length":');
    expect(logged).not.toContain('worker');
    expect(logged).not.toContain('eyJ');
    expect(logged).not.toContain('пароль');
  });

  it.each(['\r', '\n'] as const)('takes scans ending in %j alone', async (terminator) => {
    await start(terminator);
    await sim?.scan('first');
    await sim?.scan('second');
    await eventually(() => expect(scans).toEqual(['first', 'second']));
  });

  it('drops and counts lines with control characters or invalid UTF-8', async () => {
    const d = await start();
    await sim?.sendRaw(Buffer.from([0x41, 0x00, 0x42, 0x0d, 0x0a])); // NUL
    await sim?.sendRaw(Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x0a])); // an escape sequence
    await sim?.sendRaw(Buffer.from([0xff, 0xfe, 0x41, 0x0a])); // not UTF-8
    await sim?.sendRaw(Buffer.from('tab\there\n'));
    await sim?.scan('good-after-noise');
    await eventually(() => expect(scans).toEqual(['good-after-noise']));
    expect(await d.read()).toMatchObject({ scans: 1, dropped: 4 });
    expect(d.droppedByReason()).toEqual({ garbage: 4, 'too-long': 0, unterminated: 0 });
  });

  it('drops an over-long line and reads the next one', async () => {
    const d = await start();
    await sim?.scan('a'.repeat(1024)); // exactly the limit: kept
    await sim?.scan('b'.repeat(1025));
    await sim?.sendRaw('c'.repeat(5000)); // a scanner gone mad, no terminator for a long while
    await sim?.scan('d');
    await sim?.scan('next');
    await eventually(() => expect(scans).toEqual(['a'.repeat(1024), 'next']));
    expect(await d.read()).toMatchObject({ scans: 2, dropped: 2 });
    expect(d.droppedByReason()['too-long']).toBe(2);
  });

  it('read() resolves while the port is open and rejects DISCONNECTED when the scanner is gone', async () => {
    const d = await start();
    await d.read();
    await sim?.stop();
    sim = undefined;
    // The pty's hang-up reaches the port a moment after socat dies.
    const err = await eventually(async () => {
      const e = await d.read().then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(DeviceError);
      return e as DeviceError;
    });
    expect(err.code).toBe('DISCONNECTED');

    sim = await startQrScannerSimulator({ path: devicePath });
    await eventually(() => d.read());
    await sim.scan('back');
    await eventually(() => expect(scans).toEqual(['back']));
  });

  it('after close(), read() rejects DISCONNECTED', async () => {
    const d = await start();
    await d.close();
    await expect(d.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
