import { createServer, type Server, type Socket } from 'node:net';
import type { SimSerialLink } from './sim-link.js';
import { listen } from '../../config/listen.js';

/** A serial port served on TCP, as a device server (ser2net `raw`, Moxa "TCP server") does. Port 0 picks a free one. */
export interface SimTcpEndpoint {
  type: 'tcp';
  host?: string | undefined;
  port: number;
}

/**
 * The simulator's end of a line served on a TCP listener. Like a device server it has one
 * client at a time and a new connection replaces the old one: a gateway that reconnects after a
 * half-open link must not find its port taken by its own dead socket. Bytes written with no
 * client connected are lost, as they are on a serial line nobody listens to.
 */
export async function openSimTcpLink(endpoint: SimTcpEndpoint, options: { baudRate?: number } = {}): Promise<SimSerialLink> {
  const host = endpoint.host ?? '127.0.0.1';
  const listeners = new Set<(chunk: Buffer) => void>();
  let client: Socket | undefined;
  let relisten: NodeJS.Timeout | undefined;
  let closed = false;

  const onConnection = (socket: Socket): void => {
    client?.destroy();
    client = socket;
    socket.setNoDelay(true);
    // A gateway that resets its connection is routine; never let it crash the simulator.
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (client !== socket) return;
      for (const l of listeners) l(chunk);
    });
    socket.on('close', () => {
      if (client === socket) client = undefined;
    });
  };

  let server: Server = createServer(onConnection);
  await listen(server, endpoint.port, host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : endpoint.port;

  const down = (): Promise<void> =>
    new Promise<void>((resolve) => {
      client?.destroy();
      client = undefined;
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  return {
    devicePath: `${host}:${port}`,
    tcp: { host, port },
    baudRate: options.baudRate ?? 9600,
    write: (bytes) =>
      new Promise((resolve, reject) => {
        const socket = client;
        if (!socket || socket.destroyed) return resolve();
        socket.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async drop(ms) {
      if (relisten) clearTimeout(relisten);
      await down();
      relisten = setTimeout(() => {
        relisten = undefined;
        if (closed) return;
        server = createServer(onConnection);
        // The port was ours a moment ago; if another process took it, the device stays away.
        listen(server, port, host).catch(() => undefined);
      }, ms);
    },
    // Up is "a client could reach the port", as for a device server: listening, client or not.
    isUp: () => server.listening,
    async close() {
      closed = true;
      if (relisten) clearTimeout(relisten);
      await down();
    },
  };
}
