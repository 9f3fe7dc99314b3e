import type { Logger } from 'pino';
import type { DoorController } from '../capabilities/capabilities.js';
import type { DeviceDriver, DeviceEvent } from '../device.js';
import type { Points } from '../device-state.js';
import { DeviceError } from '../device-error.js';
import { Listeners } from '../listeners.js';
import { MAX_LINE_BYTES } from '../line/line-frame.js';
import { LinePortKeeper } from '../line/line-port-keeper.js';
import { LineRequestClient, isReplyLost } from '../line/line-request-client.js';
import type { LineClientCounters, LineEvent, LineReply } from '../line/line-request-client.js';
import { createLinePort, type LineLink } from '../line/line-link.js';
import type { LinePort } from '../line/serial-line-port.js';

/*
 * Driver for the reference door lock controller (specs/devices.md §1): PING, UNLOCK, LOCK, STATUS,
 * and the unsolicited EVT frames.
 */

export type BoltState = 'locked' | 'unlocked';
export type DoorContact = 'open' | 'closed';

export interface DoorStatus {
  bolt: BoltState;
  door: DoorContact;
}

export interface UnlockResult {
  door: number;
  /** Always true when unlock() resolves: a bolt that stayed locked is a rejection. */
  released: true;
  /** false when the OK was lost and the release was confirmed by STATUS instead. */
  acknowledged: boolean;
}

export interface DoorLockDriverOptions {
  port: LinePort;
  /** The doors read() reports (1..16). */
  doors: readonly number[];
  /** How long one request may take (spec default 500 ms). */
  timeoutMs: number;
  log: Logger;
  /** Reopen backoff and silence detection of the port (defaults: see LinePortKeeper). */
  keeper?: { reopenMinMs?: number; reopenMaxMs?: number; silentAfter?: number } | undefined;
}

/**
 * Until the controller has said PONG or BOOT, the model is the reference one, spelt as its own
 * firmware string names it (`LK-REF 1.4.2` -> `lk-ref`): the birth, published at connect and often
 * before the first PONG, then agrees with the device state of a reference station.
 */
export const DEFAULT_LOCK_MODEL = 'lk-ref';

export class DoorLockDriver implements DeviceDriver {
  readonly kind = 'door-lock';
  private readonly port: LinePort;
  private readonly doors: readonly number[];
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly client: LineRequestClient;
  private readonly keeper: LinePortKeeper;
  private readonly listeners = new Listeners<DeviceEvent>((err, event) => this.log.error({ err, type: event.type }, 'door lock event listener threw'));
  private firmware: string | null = null;
  // After a reconnect the controller may be another unit or have been reflashed: ask again.
  private pingDue = true;
  // Whether open() was called without a later close(): read() reopens a port that went away only then.
  private wanted = false;
  private unknownEvents = 0;
  /**
   * The protocol has timed releases only (UNLOCK, at most 30 s): no `release`, so in a fire the
   * station re-pulses every door while it lasts.
   */
  readonly capability: DoorController = { kind: 'door-lock', unlock: (door, ms) => this.unlock(door, ms) };

  constructor(options: DoorLockDriverOptions) {
    this.port = options.port;
    this.doors = [...options.doors];
    this.timeoutMs = options.timeoutMs;
    this.log = options.log;
    this.client = new LineRequestClient({ port: this.port, log: this.log });
    this.keeper = new LinePortKeeper({ port: this.port, log: this.log, ...options.keeper });
    this.client.onEvent((event) => this.handleEvent(event));
    this.port.on('close', () => {
      this.pingDue = true;
    });
  }

  get model(): string {
    return this.firmware ? modelOf(this.firmware) : DEFAULT_LOCK_MODEL;
  }

  async open(): Promise<void> {
    this.wanted = true;
    try {
      await this.port.open();
    } catch (err) {
      // An absent controller is not a startup failure: read() keeps reporting DISCONNECTED until it is back.
      this.log.warn({ err }, 'door lock port did not open; will retry on read');
    }
  }

  async close(): Promise<void> {
    this.wanted = false;
    await this.port.close();
  }

  async read(): Promise<Points> {
    await this.ensureOpen();
    if (this.pingDue) await this.ping();
    const doors: Record<string, { bolt: BoltState; door: DoorContact }> = {};
    for (const door of this.doors) {
      const s = await this.status(door);
      doors[String(door)] = { bolt: s.bolt, door: s.door };
    }
    return { doors, firmware: this.firmware };
  }

  deadbands(): Record<string, number> {
    return {};
  }

  onEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Frame counters of the line, plus EVT frames this driver did not understand. */
  counters(): LineClientCounters & { unknownEvents: number } {
    return { ...this.client.counters(), unknownEvents: this.unknownEvents };
  }

  async ping(): Promise<string> {
    await this.ensureOpen();
    const reply = await this.idempotent('PING', []);
    expectVerb(reply, 'PONG');
    if (reply.args.length === 0) throw new DeviceError('PROTOCOL', 'PONG without a firmware version');
    this.setFirmware(reply.args.join(' '));
    return reply.args.join(' ');
  }

  async status(door: number): Promise<DoorStatus> {
    await this.ensureOpen();
    const reply = await this.idempotent('STATUS', [door]);
    return parseStatus(reply, door);
  }

  async lock(door: number): Promise<void> {
    await this.ensureOpen();
    expectVerb(await this.idempotent('LOCK', [door]), 'OK');
  }

  /**
   * Releases `door` for `ms`. Never retried blindly (a retry could release a door twice, or for
   * longer than granted): when the OK does not come, STATUS says whether the bolt was released.
   * Rejects with REFUSED on an ERR reply, and with TIMEOUT when the bolt is not known to be released
   * (detail.released false: STATUS says locked; 'unknown': STATUS failed too).
   */
  async unlock(door: number, ms: number): Promise<UnlockResult> {
    await this.ensureOpen();
    try {
      expectVerb(await this.request('UNLOCK', [door, ms]), 'OK');
      return { door, released: true, acknowledged: true };
    } catch (err) {
      if (!isReplyLost(err)) throw err;
    }
    let s: DoorStatus;
    try {
      s = await this.status(door);
    } catch (err) {
      throw new DeviceError('TIMEOUT', `UNLOCK ${door} not acknowledged and STATUS failed`, { door, released: 'unknown' }, { cause: err });
    }
    this.log.warn({ door, bolt: s.bolt }, 'UNLOCK not acknowledged; checked STATUS');
    if (s.bolt === 'unlocked') return { door, released: true, acknowledged: false };
    throw new DeviceError('TIMEOUT', `UNLOCK ${door} not acknowledged and the bolt is still locked`, { door, released: false });
  }

  /** Times the port was closed because it went silent. */
  get silentReopens(): number {
    return this.keeper.silentReopens;
  }

  private async ensureOpen(): Promise<void> {
    if (this.port.isOpen) return;
    if (!this.wanted) throw new DeviceError('DISCONNECTED', 'door lock driver is closed');
    await this.keeper.ensureOpen();
  }

  /** Every request is also the port's heartbeat: the keeper hears how it went. */
  private async request(verb: string, args: Array<string | number>): Promise<LineReply> {
    try {
      const reply = await this.client.request(verb, args, this.timeoutMs);
      await this.keeper.noteResult(undefined);
      return reply;
    } catch (err) {
      await this.keeper.noteResult(err);
      throw err;
    }
  }

  /** PING, STATUS and LOCK leave the controller in the same state when repeated: one retry when the reply was lost. */
  private async idempotent(verb: 'PING' | 'STATUS' | 'LOCK', args: number[]): Promise<LineReply> {
    try {
      return await this.request(verb, args);
    } catch (err) {
      if (!isReplyLost(err)) throw err;
      this.log.debug({ verb, code: err.code }, 'reply lost; retrying once');
      return this.request(verb, args);
    }
  }

  private setFirmware(firmware: string): void {
    if (firmware !== this.firmware) this.log.info({ firmware }, 'door lock firmware');
    this.firmware = firmware;
    this.pingDue = false;
  }

  private handleEvent(event: LineEvent): void {
    const mapped = mapEvent(event);
    if (!mapped) {
      this.unknownEvents++;
      this.log.debug({ verb: event.verb, args: event.args }, 'unknown unsolicited frame from door lock');
      return;
    }
    if (mapped.type === 'lock.boot') this.setFirmware(String(mapped.data.firmware));
    if (mapped.type === 'lock.tamper') this.log.warn('door lock enclosure opened (tamper)');
    this.listeners.emit(mapped);
  }
}

export type CreateDoorLockDriverOptions = Omit<DoorLockDriverOptions, 'port'> & LineLink;

/** Builds the driver over a serial port or a device server's TCP port: what the composition root calls. */
export function createDoorLockDriver(options: CreateDoorLockDriverOptions): DoorLockDriver {
  const link: LineLink = 'tcp' in options ? { tcp: options.tcp } : { serial: options.serial };
  const { doors, timeoutMs, log, keeper } = options;
  const port = createLinePort(link, { maxLineBytes: MAX_LINE_BYTES });
  return new DoorLockDriver({ doors, timeoutMs, log, keeper, port });
}

/** 'LK-REF 1.4.2' -> 'lk-ref': the product part of the firmware string. */
function modelOf(firmware: string): string {
  return (firmware.split(' ')[0] ?? firmware).toLowerCase() || DEFAULT_LOCK_MODEL;
}

function expectVerb(reply: LineReply, verb: string): void {
  if (reply.verb !== verb) throw new DeviceError('PROTOCOL', `expected ${verb}, got ${reply.verb}`, { expected: verb, got: reply.verb });
}

function parseStatus(reply: LineReply, door: number): DoorStatus {
  expectVerb(reply, 'STATUS');
  const [d, bolt, contact] = reply.args;
  if (d !== String(door) || (bolt !== 'LOCKED' && bolt !== 'UNLOCKED') || (contact !== 'OPEN' && contact !== 'CLOSED')) {
    throw new DeviceError('PROTOCOL', `malformed STATUS reply for door ${door}`, { door, args: reply.args });
  }
  return { bolt: bolt === 'LOCKED' ? 'locked' : 'unlocked', door: contact === 'OPEN' ? 'open' : 'closed' };
}

const DOOR = /^([1-9]|1[0-6])$/;

function mapEvent(event: LineEvent): DeviceEvent | null {
  if (event.verb !== 'EVT') return null;
  const [what, a, b] = event.args;
  switch (what) {
    case 'DOOR':
      if (a === undefined || !DOOR.test(a) || (b !== 'OPEN' && b !== 'CLOSED') || event.args.length !== 3) return null;
      return { type: b === 'OPEN' ? 'door.opened' : 'door.closed', data: { door: Number(a) } };
    case 'EXIT':
      if (a === undefined || !DOOR.test(a) || event.args.length !== 2) return null;
      return { type: 'exit.pressed', data: { door: Number(a) } };
    case 'TAMPER':
      return event.args.length === 1 ? { type: 'lock.tamper', data: {} } : null;
    case 'BOOT':
      return event.args.length >= 2 ? { type: 'lock.boot', data: { firmware: event.args.slice(1).join(' ') } } : null;
    default:
      return null;
  }
}
