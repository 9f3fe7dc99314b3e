import { connect, type Socket } from 'node:net';

/** A bare TCP client for sending hand-made frames and reading exact byte counts back. */
export interface RawClient {
  socket: Socket;
  send(bytes: Buffer): void;
  /** Resolves with the next `n` bytes received. */
  receive(n: number): Promise<Buffer>;
  /** Resolves when the peer closes the connection. */
  closed: Promise<void>;
  close(): void;
}

export async function openRawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    waiter?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    send: (bytes) => socket.write(bytes),
    receive: (n) =>
      new Promise<Buffer>((resolve, reject) => {
        const check = (): void => {
          if (received.length < n) return;
          waiter = undefined;
          const out = received.subarray(0, n);
          received = received.subarray(n);
          resolve(out);
        };
        waiter = check;
        void closed.then(() => reject(new Error(`connection closed with ${received.length} of ${n} bytes`)));
        check();
      }),
    closed,
    close: () => socket.destroy(),
  };
}
