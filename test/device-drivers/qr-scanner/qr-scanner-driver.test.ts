import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../device-drivers/device.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { DEFAULT_MAX_SCAN_BYTES, QrScannerDriver, createQrScannerDriver } from '../../../device-drivers/qr-scanner/qr-scanner-driver.js';
import { BASE45_ALPHABET } from '../../../gateway/access/pass/base45.js';
import { MAX_ROLLING_CODE_CHARS, ROLLING_CODE_PREFIX } from '../../../gateway/access/pass/pass-format.js';
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

  const start = async (terminator?: '\r' | '\n' | '\r\n', maxScanBytes?: number): Promise<QrScannerDriver> => {
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
      maxScanBytes,
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
    const limit = DEFAULT_MAX_SCAN_BYTES;
    await sim?.scan('a'.repeat(limit)); // exactly the limit: kept
    await sim?.scan('b'.repeat(limit + 1));
    await sim?.sendRaw('c'.repeat(limit * 3)); // a scanner gone mad, no terminator for a long while
    await sim?.scan('d');
    await sim?.scan('next');
    await eventually(() => expect(scans).toEqual(['a'.repeat(limit), 'next']));
    expect(await d.read()).toMatchObject({ scans: 2, dropped: 2 });
    expect(d.droppedByReason()['too-long']).toBe(2);
  });

  it('by default takes the longest rolling code a pass can have, spaces and all', async () => {
    // Base45 is ASCII: a character is a byte, and the alphabet has a space (runs of them too).
    expect(DEFAULT_MAX_SCAN_BYTES).toBeGreaterThanOrEqual(MAX_ROLLING_CODE_CHARS);
    const body = Array.from({ length: MAX_ROLLING_CODE_CHARS - ROLLING_CODE_PREFIX.length }, (_, i) => BASE45_ALPHABET[(i * 7) % BASE45_ALPHABET.length]).join('');
    const code = `${ROLLING_CODE_PREFIX}${body.slice(0, 10)}  ${body.slice(12)}`;
    expect(code).toHaveLength(MAX_ROLLING_CODE_CHARS);
    const d = await start();
    await sim?.scan(code);
    await sim?.scan('after');
    await eventually(() => expect(scans).toEqual([code, 'after']));
    expect(d.droppedByReason()).toEqual({ garbage: 0, 'too-long': 0, unterminated: 0 });
  });

  it('takes the limit a device sets: a rolling code fits, a longer line is dropped and counted', async () => {
    const limit = 1500;
    const d = await start(undefined, limit);
    const code = `${ROLLING_CODE_PREFIX}${'A'.repeat(MAX_ROLLING_CODE_CHARS - ROLLING_CODE_PREFIX.length)}`;
    await sim?.scan(code);
    await sim?.scan('B'.repeat(limit + 1));
    await sim?.scan('next');
    await eventually(() => expect(scans).toEqual([code, 'next']));
    expect(await d.read()).toMatchObject({ scans: 2, dropped: 1 });
    expect(d.droppedByReason()).toEqual({ garbage: 0, 'too-long': 1, unterminated: 0 });
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

  it('read() rejects DISCONNECTED once the device file is gone, though no hang-up reached the port, and opens it again when it is back', async () => {
    const d = await start();
    await d.read();
    // The link goes, the pty stays open: the port hears nothing, as when a hang-up is late.
    fs.renameSync(devicePath, `${devicePath}.away`);
    await expect(d.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(d.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    fs.renameSync(`${devicePath}.away`, devicePath);
    await d.read();
    await sim?.scan('back');
    await eventually(() => expect(scans).toEqual(['back']));
  });

  it('after close(), read() rejects DISCONNECTED', async () => {
    const d = await start();
    await d.close();
    await expect(d.read()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
