import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { keepAliveClock, type Clock } from '../../config/clock.js';
import { DeviceError } from '../device-error.js';
import { Backoff } from '../health/backoff.js';
import type { GpioBoard, GpioConnection, GpioOutput, GpioPin } from './gpio-board.js';

/*
 * GpioBoard over johnny-five. johnny-five has no types and is CommonJS: it is loaded here only,
 * through the few members this file uses, and only when a station has GPIO devices.
 */

/** An IO plugin instance (a Firmata client, or mock-firmata in tests); johnny-five drives it. */
export type FirmataIo = EventEmitter;

interface J5Board extends EventEmitter {
  isReady: boolean;
  io: FirmataIo & { transport?: { isOpen?: boolean; close?: (cb?: () => void) => void } };
}
type J5Component = EventEmitter;
interface J5Relay {
  open(): void;
  close(): void;
}
interface J5Led {
  on(): void;
  off(): void;
}
interface JohnnyFive {
  Board: new (options: Record<string, unknown>) => J5Board;
  Button: new (options: Record<string, unknown>) => J5Component;
  Switch: new (options: Record<string, unknown>) => J5Component & { readonly isClosed: boolean };
  Relay: new (options: Record<string, unknown>) => J5Relay;
  Led: new (options: Record<string, unknown>) => J5Led;
}

const require = createRequire(import.meta.url);
let five: JohnnyFive | undefined;
const loadJohnnyFive = (): JohnnyFive => (five ??= require('johnny-five') as JohnnyFive);

export interface JohnnyFiveBoardOptions {
  /** Names the board in logs and errors (the serial path). */
  path: string;
  /** Builds a fresh IO for each connection attempt. */
  createIo: () => FirmataIo;
  /** A board that is not ready (firmware answered) within this is a failed attempt. */
  readyTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Reconnect backoff and the ready timeout; the system clock unless a test drives it. */
  clock?: Clock | undefined;
  log: Logger;
}

export class JohnnyFiveBoard implements GpioBoard {
  private current: J5Connection | undefined;
  private connecting: Promise<GpioConnection> | undefined;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private closed = false;

  constructor(private readonly options: JohnnyFiveBoardOptions) {
    this.clock = options.clock ?? keepAliveClock;
    this.backoff = new Backoff(options.reconnectMinMs ?? 1000, options.reconnectMaxMs ?? 30_000, () => this.clock.now());
  }

  get path(): string {
    return this.options.path;
  }

  connect(): Promise<GpioConnection> {
    if (this.closed) return Promise.reject(new DeviceError('DISCONNECTED', `GPIO board ${this.path} is closed`));
    if (this.current?.alive) return Promise.resolve(this.current);
    const wait = this.backoff.waitMs();
    if (wait > 0) return Promise.reject(new DeviceError('DISCONNECTED', `GPIO board ${this.path} is down; next attempt in ${wait} ms`));
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting?.catch(() => undefined);
    this.current?.end();
    this.current = undefined;
  }

  private async connectOnce(): Promise<GpioConnection> {
    const { log, path } = this.options;
    const timeoutMs = this.options.readyTimeoutMs ?? 10_000;
    let board: J5Board | undefined;
    try {
      const io = this.options.createIo();
      // Before 'ready' johnny-five does not listen for IO errors (a missing port): one unheard would throw.
      io.on('error', () => undefined);
      // repl and sigint off: johnny-five would otherwise read stdin and exit the process on Ctrl-C.
      board = new (loadJohnnyFive().Board)({ io, repl: false, debug: false, sigint: false, timeout: timeoutMs });
      await whenReady(board, io, timeoutMs, this.clock);
    } catch (err) {
      if (board) endBoard(board);
      const delay = this.backoff.failed();
      if (this.backoff.failures === 1) log.warn({ board: path, err: String(err), retryMs: delay }, 'GPIO board cannot connect');
      throw new DeviceError('DISCONNECTED', `GPIO board ${path}: ${err instanceof Error ? err.message : String(err)}`, { path }, { cause: err });
    }
    if (this.backoff.failures > 0) log.info({ board: path }, 'GPIO board connected again');
    this.backoff.succeeded();
    const connection = new J5Connection(board, loadJohnnyFive());
    connection.onLost((cause) => log.warn({ board: path, err: cause.message }, 'GPIO board lost'));
    this.current = connection;
    if (this.closed) connection.end();
    return connection;
  }
}

function whenReady(board: J5Board, io: FirmataIo, timeoutMs: number, clock: Clock): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelTimer = clock.after(timeoutMs, () => settle(new Error(`not ready within ${timeoutMs} ms (is Firmata flashed?)`)));
    const settle = (err?: Error): void => {
      cancelTimer();
      board.off('ready', onReady);
      board.off('error', settle);
      io.off('error', settle);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => settle();
    board.once('ready', onReady);
    board.once('error', settle);
    io.once('error', settle);
  });
}

function endBoard(board: J5Board): void {
  // An 'error' nobody listens to would throw out of johnny-five and take the gateway down.
  board.on('error', () => undefined);
  const transport = board.io.transport;
  if (transport?.isOpen && transport.close) transport.close(() => undefined);
}

class J5Connection implements GpioConnection {
  private live = true;
  private readonly lost = new Set<(cause: Error) => void>();

  constructor(
    private readonly board: J5Board,
    private readonly j5: JohnnyFive,
  ) {
    const drop = (cause: Error): void => this.markLost(cause);
    board.on('error', (err: unknown) => drop(err instanceof Error ? err : new Error(String(err))));
    board.on('disconnect', () => drop(new Error('board disconnected')));
    board.on('close', () => drop(new Error('port closed')));
  }

  get alive(): boolean {
    return this.live;
  }

  motionSensor(pin: GpioPin, onChange: (active: boolean) => void): void {
    // A Switch, not johnny-five's Motion: Motion polls on an interval that nothing can stop.
    // Type NC without inversion: a high pin reads as closed, i.e. motion seen.
    const s = new this.j5.Switch({ pin, type: 'NC', board: this.board });
    s.on('close', () => onChange(true));
    s.on('open', () => onChange(false));
  }

  button(pin: GpioPin, onChange: (pressed: boolean) => void): void {
    const b = new this.j5.Button({ pin, isPullup: true, board: this.board });
    b.on('press', () => onChange(true));
    b.on('release', () => onChange(false));
  }

  relay(pin: GpioPin, options: { activeLow: boolean }): GpioOutput {
    const relay = new this.j5.Relay({ pin, type: options.activeLow ? 'NC' : 'NO', board: this.board });
    // johnny-five's vocabulary: close() closes the circuit (energises), open() releases it.
    return this.output((on) => (on ? relay.close() : relay.open()));
  }

  led(pin: GpioPin): GpioOutput {
    const led = new this.j5.Led({ pin, board: this.board });
    return this.output((on) => (on ? led.on() : led.off()));
  }

  onLost(listener: (cause: Error) => void): void {
    this.lost.add(listener);
  }

  end(): void {
    if (this.live) this.markLost(new Error('board closed'));
    endBoard(this.board);
  }

  private output(drive: (on: boolean) => void): GpioOutput {
    let state = false;
    drive(false);
    const self = this;
    return {
      set(on: boolean) {
        // Writing to a lost board would throw deep in the transport; the driver reports the loss instead.
        if (!self.live) throw new DeviceError('DISCONNECTED', 'GPIO board is not connected');
        drive(on);
        state = on;
      },
      get on() {
        return state;
      },
    };
  }

  private markLost(cause: Error): void {
    if (!this.live) return;
    this.live = false;
    for (const l of this.lost) l(cause);
  }
}

/** A Firmata client on a serial port, with the gateway's serialport (not johnny-five's old one). */
export function createFirmataIo(path: string, baudRate: number): FirmataIo {
  const Firmata = (require('firmata-io') as { Firmata: new (port: unknown) => FirmataIo }).Firmata;
  return new Firmata(new SerialPort({ path, baudRate }));
}
