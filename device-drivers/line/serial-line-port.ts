import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { SerialPort, type SerialPortMock } from 'serialport';
import { DeviceError } from '../device-error.js';
import { BoundedLineSplitter } from './bounded-line-splitter.js';
import type { DroppedLine } from './bounded-line-splitter.js';

export interface LinePortEvents {
  line: [line: string];
  dropped: [info: DroppedLine];
  /** The port closed, by close() or because the link went away (then with the cause). */
  close: [cause: Error | undefined];
  error: [error: Error];
}

type LinePortListener<E extends keyof LinePortEvents> = (...args: LinePortEvents[E]) => void;

/**
 * A text-line transport. Drivers depend on this, not on serialport, so a driver can run over
 * anything that yields lines; the composition root decides what that is.
 */
export interface LinePort {
  readonly isOpen: boolean;
  /** Rejects with DeviceError DISCONNECTED when the port cannot be opened. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Rejects with DeviceError DISCONNECTED when the port is not open or the write fails. */
  write(text: string): Promise<void>;
  /**
   * Whether the device behind the port is still there, where the transport can tell (a serial
   * device file): for a device that never answers a request, the only sign of an unplugged
   * adapter when the hang-up reaches the port late or not at all.
   */
  present?(): boolean;
  on<E extends keyof LinePortEvents>(event: E, listener: LinePortListener<E>): unknown;
  off<E extends keyof LinePortEvents>(event: E, listener: LinePortListener<E>): unknown;
}

/** The serial line settings of a `type: serial` transport in the station config. */
export interface SerialLineSettings {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

/**
 * The serialport stream one open() drives: a SerialPort over the system's binding, or serialport's
 * own SerialPortMock (the same stream over its in-memory binding), which is all a test swaps.
 */
export type SerialStream = SerialPort | SerialPortMock;

/** The real port: the system binding, opened by open() rather than by the constructor. */
export const systemSerialStream = (s: SerialLineSettings): SerialStream =>
  new SerialPort({ path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits, autoOpen: false });

export interface SerialLinePortOptions extends SerialLineSettings {
  /** Builds the stream for each open (not opened yet); the system's serial port unless a test gives one. */
  stream?: (settings: SerialLineSettings) => SerialStream;
  /** Longest line kept, terminator excluded; longer ones are dropped (see BoundedLineSplitter). */
  maxLineBytes: number;
  /** A line that pauses this long is dropped unterminated (see BoundedLineSplitter); off when omitted. */
  maxLineIdleMs?: number;
}

/**
 * LinePort over a real serial device (or a pty). Each open() builds a fresh SerialPort and splitter,
 * so a port that went away (unplugged adapter, killed pty) can simply be opened again.
 */
export class SerialLinePort extends EventEmitter<LinePortEvents> implements LinePort {
  private port: SerialStream | undefined;
  private opening: Promise<void> | undefined;

  constructor(private readonly options: SerialLinePortOptions) {
    super();
  }

  get path(): string {
    return this.options.path;
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** The device file exists (an unplugged USB adapter's node and a closed pty's link go away); a test's stream has none. */
  present(): boolean {
    return this.options.stream !== undefined || existsSync(this.options.path);
  }

  open(): Promise<void> {
    if (this.port) return Promise.resolve();
    // Two callers racing to open (a poll and a command) must share one SerialPort, not build two.
    this.opening ??= this.openOnce().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
    const { path, baudRate, dataBits, parity, stopBits, maxLineBytes, maxLineIdleMs } = this.options;
    const port = (this.options.stream ?? systemSerialStream)({ path, baudRate, dataBits, parity, stopBits });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw new DeviceError('DISCONNECTED', `cannot open ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
    const splitter = new BoundedLineSplitter({ maxLength: maxLineBytes, maxIdleMs: maxLineIdleMs });
    splitter.on('data', (line: string) => this.emit('line', line));
    splitter.on('dropped', (info: DroppedLine) => this.emit('dropped', info));
    port.on('data', (chunk: Buffer) => splitter.write(chunk));
    port.on('error', (err: Error) => {
      // An 'error' nobody listens to would throw and take the gateway down with one serial port.
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    // serialport passes null for a requested close and a DisconnectedError for a lost link.
    port.once('close', (cause?: Error | null) => {
      // The error listener stays: a late error from a dead port must not become an uncaught one.
      port.removeAllListeners('data');
      splitter.destroy();
      if (this.port === port) this.port = undefined;
      this.emit('close', cause ?? undefined);
    });
    this.port = port;
  }

  async close(): Promise<void> {
    // A close() racing an open() must close the port that open() is about to hand over.
    await this.opening?.catch(() => undefined);
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => {
      // A close error means the port is already gone, which is what close() wants anyway.
      port.close(() => resolve());
    });
  }

  async write(text: string): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new DeviceError('DISCONNECTED', `${this.options.path} is not open`, { path: this.options.path });
    await new Promise<void>((resolve, reject) => {
      port.write(text, 'utf8', (err) => {
        if (err) reject(new DeviceError('DISCONNECTED', `write to ${this.options.path} failed: ${err.message}`, { path: this.options.path }, { cause: err }));
        else resolve();
      });
    });
  }
}
