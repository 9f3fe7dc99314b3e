import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { SerialLinePort, type SerialLineSettings } from '../../../device-drivers/line/serial-line-port.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * SerialLinePort over serialport's own in-memory binding: the stream, its open/close/error path
 * and our splitter are the real ones, only the binding is not a tty. The pty suites
 * (line-devices, door-lock, faults) stay the contract with a real serial device.
 */

const PATH = '/dev/ttyMEM0';
const settings: SerialLineSettings = { path: PATH, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 };
const ports: SerialLinePort[] = [];
afterEach(async () => {
  while (ports.length) await ports.pop()?.close();
  SerialPortMock.binding.reset();
});

function memoryLine(options: { maxLineBytes?: number } = {}) {
  SerialPortMock.binding.createPort(PATH, { echo: false, record: true });
  const streams: SerialPortMock[] = [];
  const port = new SerialLinePort({
    ...settings,
    maxLineBytes: options.maxLineBytes ?? 64,
    stream: (s) => {
      const stream = new SerialPortMock({ path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits, autoOpen: false });
      streams.push(stream);
      return stream;
    },
  });
  ports.push(port);
  const lines: string[] = [];
  port.on('line', (l) => lines.push(l));
  /** The far end of the line: what the device sends, and what it has received. */
  const device = {
    send: (text: string) => streams.at(-1)?.port?.emitData(text),
    received: () => streams.at(-1)?.port?.recording.toString('utf8') ?? '',
  };
  return { port, lines, device, streams };
}

describe('SerialLinePort over an in-memory binding', () => {
  it('assembles lines across chunks and writes to the line', async () => {
    const { port, lines, device } = memoryLine();
    await port.open();
    expect(port.isOpen).toBe(true);
    device.send('STATUS 1 LOC');
    device.send('KED\r\nSTA');
    device.send('TUS 2 OPEN\n');
    await waitFor(() => lines.length === 2, 2000, 'two lines');
    expect(lines).toEqual(['STATUS 1 LOCKED', 'STATUS 2 OPEN']);
    await port.write('UNLOCK 1 5000\r\n');
    await waitFor(() => device.received() === 'UNLOCK 1 5000\r\n', 2000, 'the write on the line');
  });

  it('drops a line longer than the limit and keeps the next', async () => {
    const { port, lines, device } = memoryLine({ maxLineBytes: 8 });
    const dropped: unknown[] = [];
    port.on('dropped', (d) => dropped.push(d));
    await port.open();
    device.send('FAR TOO LONG A LINE\nOK\n');
    await waitFor(() => lines.length === 1, 2000, 'the short line');
    expect(lines).toEqual(['OK']);
    expect(dropped).toHaveLength(1);
  });

  it('reports a port that cannot be opened as DISCONNECTED, and a write to a closed port too', async () => {
    const port = new SerialLinePort({ ...settings, path: '/dev/ttyMEM9', maxLineBytes: 64, stream: (s) => new SerialPortMock({ path: s.path, baudRate: s.baudRate, autoOpen: false }) });
    ports.push(port);
    const err = await port.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).code).toBe('DISCONNECTED');
    await expect(port.write('X\n')).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('emits close without a cause on close(), and opens a fresh stream the next time', async () => {
    const { port, lines, device, streams } = memoryLine();
    const closes: Array<Error | undefined> = [];
    port.on('close', (cause) => closes.push(cause));
    await Promise.all([port.open(), port.open()]);
    expect(streams).toHaveLength(1);
    await port.close();
    await waitFor(() => closes.length === 1, 2000, 'close event');
    expect(closes).toEqual([undefined]);
    expect(port.isOpen).toBe(false);
    await port.open();
    expect(streams).toHaveLength(2);
    device.send('BOOT 1.2\n');
    await waitFor(() => lines.length === 1, 2000, 'a line after reopening');
  });
});
