import { EventEmitter } from 'node:events';
import net from 'node:net';
import { DeviceError } from '../device-error.js';
import { BoundedLineSplitter } from './bounded-line-splitter.js';
import type { DroppedLine } from './bounded-line-splitter.js';
import type { LinePort, LinePortEvents } from './serial-line-port.js';

/** A serial port put on the network by a device server (ser2net `raw`, Moxa NPort "TCP server"). */
export interface TcpLineEndpoint {
  host: string;
  port: number;
}

export interface TcpLinePortOptions extends TcpLineEndpoint {
  /** Longest line kept, terminator excluded; longer ones are dropped (see BoundedLineSplitter). */
  maxLineBytes: number;
  /** A line that pauses this long is dropped unterminated (see BoundedLineSplitter); off when omitted. */
  maxLineIdleMs?: number;
  /** How long a connect may take (default 3000 ms): a device server behind 4G answers slowly, a dead one never. */
  connectTimeoutMs?: number;
  /** Idle time before the first TCP keepalive probe (default 10 s). */
  keepAliveMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_KEEPALIVE_MS = 10_000;

/**
 * LinePort over raw TCP to a serial device server: the bytes of the RS-232/RS-485 port, nothing
 * else (no RFC 2217 negotiation, so the line settings are the server's). Like SerialLinePort,
 * each open() makes a fresh socket and splitter, so a link that went away (server rebooted, cable
 * out, another client took the port) is simply opened again by whoever keeps the port.
 */
export class TcpLinePort extends EventEmitter<LinePortEvents> implements LinePort {
  private socket: net.Socket | undefined;
  private opening: Promise<void> | undefined;
  // Sockets close() was called for: their 'close' carries no cause, as SerialLinePort's does.
  private readonly closing = new WeakSet<net.Socket>();

  constructor(private readonly options: TcpLinePortOptions) {
    super();
  }

  /** `host:port`, for logs and errors. */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isOpen(): boolean {
    const s = this.socket;
    return s !== undefined && s.readyState === 'open' && !s.destroyed;
  }

  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    // A poll and a command racing to open must share one connection: a device server serves one
    // client per port, and a second connection would push the first one off.
    this.opening ??= this.openOnce().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    const { host, port, maxLineBytes, maxLineIdleMs } = this.options;
    const detail = { host, port };
    // A link that just failed may not have reported its close yet: let it, so its 'close' event
    // (which the drivers act on) never arrives after the new connection is up.
    const old = this.socket;
    if (old) {
      await new Promise<void>((resolve) => {
        if (old.closed) resolve();
        else old.once('close', () => resolve());
        old.destroy();
      });
    }
    const socket = net.createConnection({ host, port });
    try {
      await new Promise<void>((resolve, reject) => {
        const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
        const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } catch (err) {
      socket.destroy();
      throw new DeviceError('DISCONNECTED', `cannot connect to ${this.address}: ${(err as Error).message}`, detail, { cause: err });
    }
    // Requests are single short lines waiting for a reply: Nagle would hold each one back.
    socket.setNoDelay(true);
    // A scanner is silent between scans, so no request would notice a server that vanished
    // without a FIN (power cut, cable out): keepalive probes do, after the OS's probe count.
    socket.setKeepAlive(true, this.options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS);
    const splitter = new BoundedLineSplitter({ maxLength: maxLineBytes, maxIdleMs: maxLineIdleMs });
    splitter.on('data', (line: string) => this.emit('line', line));
    splitter.on('dropped', (info: DroppedLine) => this.emit('dropped', info));
    socket.on('data', (chunk: Buffer) => splitter.write(chunk));
    let lost: Error | undefined;
    socket.on('error', (err: Error) => {
      lost ??= err;
      // An 'error' nobody listens to would throw and take the gateway down with one device server.
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    // The server ended the connection (rebooted, or gave the port to another client): that is a
    // lost link, not a half-open socket to keep writing into.
    socket.on('end', () => {
      lost ??= new DeviceError('DISCONNECTED', `${this.address} closed the connection`, detail);
      socket.destroy();
    });
    socket.once('close', () => {
      socket.removeAllListeners('data');
      splitter.destroy();
      if (this.socket === socket) this.socket = undefined;
      const asked = this.closing.delete(socket);
      this.emit('close', asked ? undefined : (lost ?? new DeviceError('DISCONNECTED', `${this.address} connection lost`, detail)));
    });
    this.socket = socket;
  }

  async close(): Promise<void> {
    // A close() racing an open() must close the socket that open() is about to hand over.
    await this.opening?.catch(() => undefined);
    const socket = this.socket;
    if (!socket) return;
    this.closing.add(socket);
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      // destroy, not end: a device server that never answers FIN must not hold close() up.
      socket.destroy();
    });
  }

  async write(text: string): Promise<void> {
    const socket = this.socket;
    const detail = { host: this.options.host, port: this.options.port };
    if (!socket || !this.isOpen) throw new DeviceError('DISCONNECTED', `${this.address} is not connected`, detail);
    await new Promise<void>((resolve, reject) => {
      socket.write(text, 'utf8', (err) => {
        if (err) reject(new DeviceError('DISCONNECTED', `write to ${this.address} failed: ${err.message}`, detail, { cause: err }));
        else resolve();
      });
    });
  }
}
