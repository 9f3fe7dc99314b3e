import { SerialPort } from 'serialport';

/** The gateway's end of a simulated serial line: raw bytes in and out, as a master sees them. */
export interface SerialPeer {
  port: SerialPort;
  received(): Buffer;
  /** Forgets what was received so far. */
  clear(): void;
  write(bytes: Buffer | string): Promise<void>;
  /** Resolves with the first `n` bytes received after the last clear (and removes them). */
  take(n: number, timeoutMs?: number): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openSerialPeer(path: string, baudRate = 9600): Promise<SerialPeer> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', () => undefined);
  let buffer = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
  });
  return {
    port,
    received: () => buffer,
    clear: () => {
      buffer = Buffer.alloc(0);
    },
    write: (bytes) => new Promise((resolve, reject) => port.write(bytes, (err) => (err ? reject(err) : port.drain(() => resolve())))),
    async take(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (buffer.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} bytes, have ${buffer.length}: ${buffer.toString('hex')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const out = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      return Buffer.from(out);
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
