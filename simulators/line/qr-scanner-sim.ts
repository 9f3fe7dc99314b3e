import { SerialPort } from 'serialport';
import { createPtyPair } from './pty-pair.js';

/* A QR scanner on a pty (specs/devices.md §2): one scan per line; raw bytes for noise and partial lines. */

export interface QrScannerSimOptions {
  /** The path the gateway opens; the simulator takes `<path>.sim`. */
  path: string;
  /** What ends a scan; scanners are configurable, and the gateway must take all three. */
  terminator?: '\r' | '\n' | '\r\n';
}

export interface QrScannerSimulator {
  readonly devicePath: string;
  /** Sends `text` and the terminator, as a scanner does after decoding a code. */
  scan(text: string): Promise<void>;
  sendRaw(bytes: string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

export async function startQrScannerSimulator(options: QrScannerSimOptions): Promise<QrScannerSimulator> {
  const terminator = options.terminator ?? '\r\n';
  const pty = await createPtyPair({ devicePath: options.path });
  const port = new SerialPort({ path: pty.simPath, baudRate: 9600, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    await pty.close();
    throw err;
  }
  // Write failures reach the caller through write()'s promise; any other port error must not
  // become an uncaught exception in the test or bench process running the simulator.
  port.on('error', () => undefined);

  const write = (bytes: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => port.write(bytes, (err) => (err ? reject(err) : resolve())));

  return {
    devicePath: pty.devicePath,
    scan: (text) => write(Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from(terminator, 'ascii')])),
    sendRaw: (bytes) => write(bytes),
    async stop() {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pty.close();
    },
  };
}
