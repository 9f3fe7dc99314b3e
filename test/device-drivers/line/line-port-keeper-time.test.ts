import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { LinePortKeeper } from '../../../device-drivers/line/line-port-keeper.js';
import { SerialLinePort } from '../../../device-drivers/line/serial-line-port.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const PATH = '/dev/ttyMEM1';
const ports: SerialLinePort[] = [];
afterEach(async () => {
  while (ports.length) await ports.pop()?.close();
  SerialPortMock.binding.reset();
});

/** A keeper over a serial line in memory whose adapter is unplugged until the test plugs it in. */
function keeper() {
  const clock = new FakeClock();
  const port = new SerialLinePort({
    path: PATH,
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    maxLineBytes: 64,
    stream: (s) => new SerialPortMock({ path: s.path, baudRate: s.baudRate, autoOpen: false }),
  });
  ports.push(port);
  const k = new LinePortKeeper({ port, log: silentLogger(), reopenMinMs: 500, reopenMaxMs: 2000, silentAfter: 3, clock });
  const attempt = (): Promise<unknown> => k.ensureOpen().then(
    () => 'open',
    (e: unknown) => (e instanceof DeviceError ? { code: e.code, skipped: e.detail?.['skipped'] === true, backoffMs: e.detail?.['backoffMs'] } : e),
  );
  return { clock, port, keeper: k, attempt, plugIn: () => SerialPortMock.binding.createPort(PATH, { echo: false, record: true }) };
}

describe('LinePortKeeper on fake time', () => {
  it('spaces reopen attempts by doubling backoff, skipping without touching the port, until the port is back', async () => {
    const k = keeper();
    expect(await k.attempt()).toMatchObject({ code: 'DISCONNECTED', skipped: false });
    expect(await k.attempt()).toEqual({ code: 'DISCONNECTED', skipped: true, backoffMs: 500 });
    k.clock.advance(500);
    expect(await k.attempt()).toMatchObject({ code: 'DISCONNECTED', skipped: false });
    expect(await k.attempt()).toEqual({ code: 'DISCONNECTED', skipped: true, backoffMs: 1000 });
    k.plugIn();
    k.clock.advance(999);
    expect(await k.attempt()).toEqual({ code: 'DISCONNECTED', skipped: true, backoffMs: 1 });
    k.clock.advance(1);
    expect(await k.attempt()).toBe('open');
    expect(k.port.isOpen).toBe(true);
  });

  it('closes a port silent for silentAfter requests in a row; any answer resets the count', async () => {
    const k = keeper();
    k.plugIn();
    await k.keeper.ensureOpen();
    const timeout = new DeviceError('TIMEOUT', 'no answer');
    await k.keeper.noteResult(timeout);
    await k.keeper.noteResult(timeout);
    await k.keeper.noteResult(undefined);
    await k.keeper.noteResult(timeout);
    await k.keeper.noteResult(timeout);
    expect(k.keeper.silentReopens).toBe(0);
    await k.keeper.noteResult(timeout);
    expect(k.keeper.silentReopens).toBe(1);
    expect(k.port.isOpen).toBe(false);
    // A close for silence is not a failed open: the reopen is not held back.
    expect(await k.attempt()).toBe('open');
  });
});
