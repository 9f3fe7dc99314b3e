import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../line/pty-pair.js';
import type { SimSerialLink } from './sim-link.js';
import { openSimTcpLink, type SimTcpEndpoint } from './sim-tcp-link.js';

/**
 * Where a serial simulator lives: a pty pair made by socat (the gateway opens `path`, a link to
 * one end), or a real serial device (a USB adapter wired to the gateway's adapter).
 */
export type SerialEndpoint = { type: 'pty'; path: string } | { type: 'serial'; path: string };

/** Where a line-protocol simulator lives: a serial endpoint, or a TCP port as a serial device server serves one. */
export type LineEndpoint = SerialEndpoint | SimTcpEndpoint;


export async function openSimSerialLink(endpoint: LineEndpoint, options: { baudRate?: number } = {}): Promise<SimSerialLink> {
  if (endpoint.type === 'tcp') return openSimTcpLink(endpoint, options);
  const baudRate = options.baudRate ?? 9600;
  const listeners = new Set<(chunk: Buffer) => void>();
  let pty: PtyPair | undefined;
  let port: SerialPort | undefined;
  let comeBack: NodeJS.Timeout | undefined;
  let closed = false;

  const up = async (): Promise<void> => {
    let path = endpoint.path;
    if (endpoint.type === 'pty') {
      pty = await createPtyPair({ devicePath: endpoint.path });
      path = pty.simPath;
    }
    const p = new SerialPort({ path, baudRate, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      await pty?.close();
      pty = undefined;
      throw err;
    }
    // Write failures reach the caller through write()'s promise; any other port error (the far end
    // went away) must not become an uncaught exception in a test or bench process.
    p.on('error', () => undefined);
    p.on('data', (chunk: Buffer) => {
      for (const l of listeners) l(chunk);
    });
    port = p;
  };

  const down = async (): Promise<void> => {
    const p = port;
    port = undefined;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    const pair = pty;
    pty = undefined;
    await pair?.close();
  };

  await up();
  const devicePath = pty?.devicePath ?? endpoint.path;

  return {
    devicePath,
    baudRate,
    write: (bytes) =>
      new Promise((resolve, reject) => {
        const p = port;
        if (!p?.isOpen) return resolve();
        p.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async drop(ms) {
      if (comeBack) clearTimeout(comeBack);
      await down();
      comeBack = setTimeout(() => {
        comeBack = undefined;
        if (!closed) up().catch(() => undefined);
      }, ms);
    },
    isUp: () => port?.isOpen === true,
    async close() {
      closed = true;
      if (comeBack) clearTimeout(comeBack);
      await down();
    },
  };
}
