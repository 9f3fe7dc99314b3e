import { Socket, createServer, type Server } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DroppedLine } from '../../../device-drivers/line/bounded-line-splitter.js';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { TcpLinePort } from '../../../device-drivers/line/tcp-line-port.js';

/* TcpLinePort against a real TCP server standing in for a serial device server's port. */

const eventually = <T>(check: () => T | Promise<T>, timeout = 5000): Promise<T> => vi.waitFor(check, { timeout, interval: 10 });

interface FakeDeviceServer {
  server: Server;
  port: number;
  sockets: Socket[];
  received: string;
  close(): Promise<void>;
}

async function startServer(port = 0): Promise<FakeDeviceServer> {
  const state: FakeDeviceServer = {
    server: createServer(),
    port: 0,
    sockets: [],
    received: '',
    close: async () => {
      for (const s of state.sockets) s.destroy();
      await new Promise<void>((resolve) => state.server.close(() => resolve()));
    },
  };
  state.server.on('connection', (s) => {
    state.sockets.push(s);
    s.on('data', (d: Buffer) => (state.received += d.toString('utf8')));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => state.server.listen(port, '127.0.0.1', resolve));
  const addr = state.server.address();
  state.port = typeof addr === 'object' && addr ? addr.port : port;
  return state;
}

async function rejection(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DeviceError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('TcpLinePort', () => {
  let server: FakeDeviceServer;
  let port: TcpLinePort;
  let lines: string[];
  let dropped: DroppedLine[];

  beforeEach(async () => {
    server = await startServer();
    port = new TcpLinePort({ host: '127.0.0.1', port: server.port, maxLineBytes: 16 });
    lines = [];
    dropped = [];
    port.on('line', (l) => lines.push(l));
    port.on('dropped', (d) => dropped.push(d));
  });

  afterEach(async () => {
    await port.close();
    await server.close().catch(() => undefined);
  });

  it('splits lines across chunks and terminators, with TCP_NODELAY and keepalive set', async () => {
    const noDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const keepAlive = vi.spyOn(Socket.prototype, 'setKeepAlive');
    await port.open();
    expect(noDelay).toHaveBeenCalledWith(true);
    expect(keepAlive).toHaveBeenCalledWith(true, 10_000);
    noDelay.mockRestore();
    keepAlive.mockRestore();
    expect(port.isOpen).toBe(true);
    const [peer] = await eventually(() => {
      expect(server.sockets).toHaveLength(1);
      return server.sockets;
    });
    peer!.write('1 PO');
    await new Promise((r) => setTimeout(r, 20));
    peer!.write('NG\r\n2 OK\n3 EVT\r');
    await eventually(() => expect(lines).toEqual(['1 PONG', '2 OK', '3 EVT']));
    await port.write('4 STATUS 1\r\n');
    await eventually(() => expect(server.received).toBe('4 STATUS 1\r\n'));
  });

  it('drops an oversize line, counts it, and keeps the next one', async () => {
    await port.open();
    const peer = await eventually(() => server.sockets[0]!);
    peer.write(`${'x'.repeat(40)}\r\nshort\r\n`);
    await eventually(() => expect(lines).toEqual(['short']));
    expect(dropped).toEqual([{ reason: 'too-long', bytes: 40 }]);
  });

  it('a write on a closed port rejects DISCONNECTED, and so does a connect nobody answers', async () => {
    const e1 = await rejection(port.write('1 PING\r\n'));
    expect(e1.code).toBe('DISCONNECTED');
    await server.close();
    const e2 = await rejection(port.open());
    expect(e2.code).toBe('DISCONNECTED');
    expect(e2.detail).toMatchObject({ host: '127.0.0.1', port: server.port });
    expect(port.isOpen).toBe(false);
  });

  it('reports a close with a cause when the server drops the link, and opens again once it is back', async () => {
    const closes: Array<Error | undefined> = [];
    port.on('close', (cause) => closes.push(cause));
    await port.open();
    const peer = await eventually(() => server.sockets[0]!);
    peer.destroy();
    await eventually(() => expect(closes).toHaveLength(1));
    expect(closes[0]).toBeInstanceOf(DeviceError);
    expect((closes[0] as DeviceError).code).toBe('DISCONNECTED');
    expect(port.isOpen).toBe(false);
    expect((await rejection(port.write('x\r\n'))).code).toBe('DISCONNECTED');

    // The device server restarts on the same port: a new open() is a new connection.
    const oldPort = server.port;
    await server.close();
    expect((await rejection(port.open())).code).toBe('DISCONNECTED');
    server = await startServer(oldPort);
    await port.open();
    const again = await eventually(() => server.sockets[0]!);
    again.write('5 BOOT\r\n');
    await eventually(() => expect(lines).toEqual(['5 BOOT']));
  });

  it('a close() it was asked for carries no cause, and two opens share one connection', async () => {
    const closes: Array<Error | undefined> = [];
    port.on('close', (cause) => closes.push(cause));
    await Promise.all([port.open(), port.open()]);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.sockets).toHaveLength(1);
    await port.close();
    expect(closes).toEqual([undefined]);
    expect(port.isOpen).toBe(false);
  });
});
