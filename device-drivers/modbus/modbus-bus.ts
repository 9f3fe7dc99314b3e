import modbusSerial from 'modbus-serial';
import type { Logger } from 'pino';
import { DeviceError, type DeviceErrorCode } from '../device-error.js';
import { Backoff } from '../health/backoff.js';
import { TurnaroundWindow } from '../health/turnaround.js';
import { charMs, probeTimeoutMs, rtuTransactionChars, type RequestShape } from './probe-timeout.js';
import { keepAliveClock, type Clock } from '../../config/clock.js';

export type ModbusEndpoint =
  | { type: 'modbus-tcp'; host: string; port: number }
  | { type: 'modbus-rtu-over-tcp'; host: string; port: number }
  | { type: 'modbus-rtu'; path: string; baudRate: number; dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 };

/** Devices that share a line or a TCP connection share one bus; this is its identity. */
export function endpointKey(e: ModbusEndpoint): string {
  return e.type === 'modbus-rtu' ? `rtu:${e.path}` : `${e.type}:${e.host}:${e.port}`;
}

/** What a device may do with the bus while it holds it: one Modbus transaction at a time. */
export interface ModbusSession {
  readRegisters(table: 'holding' | 'input', address: number, count: number): Promise<number[]>;
  readBits(table: 'coil' | 'discrete', address: number, count: number): Promise<boolean[]>;
  writeCoil(address: number, value: boolean): Promise<void>;
  /** FC6: one register. Devices that take only FC6 for single registers exist; FC16 is for wider values. */
  writeRegister(address: number, value: number): Promise<void>;
  /** FC16. */
  writeRegisters(address: number, values: number[]): Promise<void>;
}

/**
 * A link as modbus-serial drives it (the shape of its own ports): it writes whole RTU request
 * frames (unit id, PDU, CRC) and takes each whole answer frame from one `data` event. Given one,
 * the bus drives it in place of the link its endpoint names, so its queue, retries and backoff can
 * run against an in-memory line; the real links stay modbus-serial's own.
 */
export interface ModbusPort {
  readonly isOpen: boolean;
  open(callback: (err?: Error | null) => void): void;
  close(callback: (err?: Error | null) => void): void;
  write(frame: Buffer): void;
  on(event: 'data' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'data' | 'error' | 'close', listener: (...args: unknown[]) => void): unknown;
}

export interface ModbusBusOptions {
  /** Drive this port instead of opening the endpoint; the endpoint then only names the bus. */
  port?: ModbusPort;
  /** Backoff times and the close wait; the system clock unless a test drives it. */
  clock?: Clock | undefined;
  /** Backoff between attempts to open a port or TCP link that failed. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Backoff of one unit that stopped answering; the other units keep their pace. */
  unitBackoffMinMs?: number;
  unitBackoffMaxMs?: number;
  /** Extra attempts of a retryable transaction that timed out or failed its CRC, for a unit in good health. */
  retries?: number;
}

/** The smallest read a unit answers: one register or bit its profile reads anyway. */
export interface ProbeTarget {
  table: 'holding' | 'input' | 'coil' | 'discrete';
  address: number;
}

export interface TransactOptions {
  /** The work may be repeated (reads); commands are not, a second pulse could do something twice. */
  retryable?: boolean;
  /**
   * What to ask a unit that fell silent before the work is tried, with a timeout from the unit's
   * own turnaround (probe-timeout.ts): a unit still gone costs the line that short wait instead
   * of a whole timeout, so it can be asked on every poll; one that answers gets the work at once,
   * in the same turn of the bus.
   */
  probe?: ProbeTarget | undefined;
}

/** What one unit on the bus asks of its backoff (health/retry-ceiling.ts). */
export interface UnitOptions {
  /**
   * The longest wait between tries of the unit once it stopped answering. Set, it overrides the
   * probe on every poll: the unit is tried with its full work and timeout on this backoff only.
   */
  retryMaxMs: number;
}

/** Unit failures that mean "nobody answered usefully" and cost the bus a whole timeout or frame. */
const UNIT_FAULTS: ReadonlySet<DeviceErrorCode> = new Set(['TIMEOUT', 'CRC']);

/**
 * Failures after which bytes of a cut, damaged or late answer may sit in modbus-serial's receive
 * buffer, where it would take them for the start of the next answer: its Modbus TCP port then
 * stays out of step for good (a half MBAP frame swallows the next answers), and its RTU ports
 * splice stale bytes into the next frame. A fresh link is the only flush the library offers.
 */
const STALE_BYTES_FAULTS: ReadonlySet<DeviceErrorCode> = new Set(['TIMEOUT', 'CRC', 'PROTOCOL']);

/** One unit's health on the bus. */
interface Unit {
  /**
   * Tries with the full work and timeout of a unit that stopped answering. A silent unit that
   * showed its turnaround is probed on every poll besides, so these catch only a unit that comes
   * back slower than it was, and one that answers garbage (which a probe would not spare the line).
   */
  backoff: Backoff;
  /** The failure that started its backoff; undefined while it answers. */
  last: DeviceError | undefined;
  /** How soon it answered while healthy (ms, wire time taken out): the probe's wait. */
  turnaround: TurnaroundWindow;
  /** The station file set its retry ceiling (`retryMaxMs`): backoff only, no probes. */
  ceilingSet: boolean;
  /** It answered a probe and then failed the work: no probes until the work succeeds. */
  probeAnswersOnly: boolean;
}

/** The turnaround quantile a probe waits for (twice of it, probe-timeout.ts). */
const PROBE_QUANTILE = 0.95;

/** How long a reset waits for the old link to close before it opens the new one anyway. */
const CLOSE_WAIT_MS = 1000;

/**
 * One RS-485 line or one TCP connection, with one transaction queue. modbus-serial allows only
 * one outstanding request on a serial line (a second overwrites the first, which then never
 * settles: PITFALLS), so every device on the bus goes through `transact`, strictly in turn.
 *
 * Fairness: the queue is first come, first served, and a DeviceMonitor queues its next poll only
 * after the previous one settled, so each device holds at most one place: the queue is a round
 * robin. What could still stall it is a dead unit taking a full timeout every turn; so a unit
 * that times out is backed off on its own (its full tries space out, and are not retried while
 * it is failing). Between them, a read that offers a probe asks the unit for one register with a
 * timeout from its own turnaround, so a unit that is back is read on the next poll while one
 * still gone costs its neighbours tens of milliseconds a poll; without a probe (commands, or a
 * unit whose ceiling the station file set) its transactions fail at once without touching the bus.
 */
export class ModbusBus {
  private readonly client: InstanceType<typeof modbusSerial.default>;
  private readonly clock: Clock;
  private tail: Promise<unknown> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  /** The link must be reopened before the next transaction (see STALE_BYTES_FAULTS). */
  private stale = false;
  private closing: Promise<void> | undefined;
  private readonly linkBackoff: Backoff;
  private reconnectMaxMs: number;
  private readonly units = new Map<number, Unit>();
  private closed = false;
  /** The unit whose transaction holds the bus: its answers' turnaround is recorded. */
  private current: Unit | undefined;
  private readonly charMs: number;

  constructor(
    readonly endpoint: ModbusEndpoint,
    private readonly log: Logger,
    private readonly options: ModbusBusOptions = {},
  ) {
    this.client = new modbusSerial.default(options.port);
    this.clock = options.clock ?? keepAliveClock;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
    this.linkBackoff = new Backoff(options.reconnectMinMs ?? 500, this.reconnectMaxMs, () => this.clock.now());
    this.charMs = charMs(endpoint.type === 'modbus-rtu' ? endpoint : undefined);
    // modbus-serial re-emits a port's failure (EIO when a USB adapter or pty vanishes mid-write)
    // as 'error' on the client; unheard, Node would end the gateway. The link is reopened instead.
    this.client.on('error', (err: unknown) => {
      this.log.warn({ bus: this.key, err: errMessage(err) }, 'modbus link failed; it is reopened on the next transaction');
      this.dropConnection();
    });
  }

  get key(): string {
    return endpointKey(this.endpoint);
  }

  /**
   * A unit's retry ceiling, from its device's poll period and timeout. The link's reconnect
   * ceiling follows the lowest of its units': a connect attempt costs the line nothing, and a
   * converter that is back must not wait out a ceiling longer than any of its devices would.
   */
  configureUnit(unitId: number, options: UnitOptions): void {
    const unit = this.unit(unitId);
    unit.backoff.setMaxMs(options.retryMaxMs);
    unit.ceilingSet = true;
    this.reconnectMaxMs = Math.min(this.reconnectMaxMs, options.retryMaxMs);
    this.linkBackoff.setMaxMs(this.reconnectMaxMs);
  }

  /** Runs `work` as the bus's only transaction(s) for unit `unitId`, after those queued before it. */
  transact<T>(unitId: number, timeoutMs: number, work: (session: ModbusSession) => Promise<T>, options: TransactOptions = {}): Promise<T> {
    const unit = this.unit(unitId);
    const wait = unit.backoff.waitMs();
    let probeMs: number | undefined;
    // A try due within a tenth of its wait goes out: the poll that brings it was scheduled from
    // the poll's start, the wait from the transaction's, which queued behind its neighbours.
    if (wait > unit.backoff.currentDelayMs / 10 && unit.last) {
      probeMs = this.probeTimeout(unit, timeoutMs, options.probe);
      if (probeMs === undefined) {
        // Same code as the failure that started the backoff, marked skipped: health counts it as a
        // failed poll, not as another timeout on the wire.
        const { code, message } = unit.last;
        return Promise.reject(new DeviceError(code, `unit ${unitId} on ${this.key} backing off (${wait} ms left) after: ${message}`, { unitId, skipped: true, backoffMs: wait }));
      }
    }
    const attempts = 1 + (options.retryable && unit.backoff.failures === 0 ? (this.options.retries ?? 1) : 0);
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        // Awaiting an open link would still cost a few microtask turns on every transaction.
        if (this.closed || this.stale || !this.client.isOpen) await this.ensureOpen();
        const startedAt = this.clock.now();
        this.client.setID(unitId);
        this.current = unit;
        try {
          if (probeMs !== undefined && options.probe) await this.probe(unitId, unit, options.probe, probeMs, startedAt);
          this.client.setTimeout(timeoutMs);
          const result = await work(this.session);
          unit.backoff.succeeded();
          unit.last = undefined;
          unit.probeAnswersOnly = false;
          return result;
        } catch (err) {
          const e = classify(err);
          if (e.code === 'DISCONNECTED' || STALE_BYTES_FAULTS.has(e.code)) this.dropConnection();
          // A probe that went unanswered leaves the full tries' backoff as it was (a damaged
          // answer has put the unit on it already).
          if (e.detail?.['probe'] === true) throw e;
          const unitFault = UNIT_FAULTS.has(e.code);
          if (unitFault && attempt < attempts) continue;
          // A unit that answers the probe but not the work would cost the line both on every
          // poll: it waits for its full tries until the work succeeds again.
          if (unitFault && probeMs !== undefined) unit.probeAnswersOnly = true;
          if (unitFault) this.backOff(unitId, unit, e, startedAt, options.probe);
          throw e;
        } finally {
          this.current = undefined;
        }
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await this.closing;
    await new Promise<void>((resolve) => {
      if (!this.client.isOpen) return resolve();
      this.client.close(() => resolve());
    });
  }

  private unit(unitId: number): Unit {
    let u = this.units.get(unitId);
    if (!u) {
      u = {
        backoff: new Backoff(this.options.unitBackoffMinMs ?? 1000, this.options.unitBackoffMaxMs ?? 30_000, () => this.clock.now()),
        last: undefined,
        turnaround: new TurnaroundWindow(),
        ceilingSet: false,
        probeAnswersOnly: false,
      };
      this.units.set(unitId, u);
    }
    return u;
  }

  /**
   * The probe's timeout for a unit between its full tries, or undefined where it gets none: the
   * caller offered no probe, the station file set the unit's ceiling, the unit answers damaged
   * frames (a probe would cost the line as much as the work: the backoff protects it) or answered
   * a probe but not the work after it, or it never answered (nothing tells how soon it would).
   */
  private probeTimeout(unit: Unit, timeoutMs: number, probe: ProbeTarget | undefined): number | undefined {
    if (!probe || !this.probed(unit)) return undefined;
    const frameMs = this.charMs * rtuTransactionChars(probeShape(probe));
    return probeTimeoutMs({ frameMs, turnaroundMs: unit.turnaround.quantile(PROBE_QUANTILE), timeoutMs });
  }

  /** Whether a silent unit is watched by probes between its full tries (see probeTimeout). */
  private probed(unit: Unit): boolean {
    return !unit.ceilingSet && !unit.probeAnswersOnly && unit.last?.code === 'TIMEOUT' && unit.turnaround.count > 0;
  }

  /**
   * Asks a silent unit for one register or bit with a short timeout. Any answer, an exception
   * too, means it is back; a damaged one puts it on the backoff of units that answer garbage.
   */
  private async probe(unitId: number, unit: Unit, target: ProbeTarget, probeMs: number, startedAt: number): Promise<void> {
    this.client.setTimeout(probeMs);
    try {
      if (target.table === 'holding' || target.table === 'input') await this.session.readRegisters(target.table, target.address, 1);
      else await this.session.readBits(target.table, target.address, 1);
    } catch (err) {
      const e = classify(err);
      if (e.code === 'EXCEPTION') return;
      if (e.code === 'CRC') this.backOff(unitId, unit, e, startedAt);
      throw new DeviceError(e.code, `unit ${unitId} on ${this.key}, probe (${probeMs} ms): ${e.message}`, { ...e.detail, unitId, probe: true, probeTimeoutMs: probeMs }, { cause: err });
    }
  }

  /** Keeps the turnaround of an answer of the unit holding the bus: what it took less its frames' wire time. */
  private answered(shape: RequestShape, sinceMs: number): void {
    this.current?.turnaround.add(performance.now() - sinceMs - this.charMs * rtuTransactionChars(shape));
  }

  /**
   * Spaces the unit's full tries. One its probes will watch waits the ceiling at once: each full
   * try of a unit still gone holds the line for a whole timeout, and the probes find one that is
   * back; the full tries remain for one that came back slower than its probe waits.
   */
  private backOff(unitId: number, unit: Unit, err: DeviceError, startedAt: number, probe?: ProbeTarget): void {
    unit.last = err;
    const delay = unit.backoff.failed(startedAt, probe !== undefined && this.probed(unit));
    if (unit.backoff.failures === 1) this.log.warn({ bus: this.key, unitId, code: err.code, retryMs: delay }, 'modbus unit not answering; backing off that unit');
  }

  private readonly session: ModbusSession = {
    readRegisters: async (table, address, count) => {
      const t0 = performance.now();
      const r = table === 'holding' ? await this.client.readHoldingRegisters(address, count) : await this.client.readInputRegisters(address, count);
      this.answered({ kind: 'read-registers', count }, t0);
      return r.data.length === count ? r.data : r.data.slice(0, count);
    },
    readBits: async (table, address, count) => {
      const t0 = performance.now();
      const r = table === 'coil' ? await this.client.readCoils(address, count) : await this.client.readDiscreteInputs(address, count);
      this.answered({ kind: 'read-bits', count }, t0);
      return r.data.slice(0, count);
    },
    writeCoil: async (address, value) => {
      const t0 = performance.now();
      await this.client.writeCoil(address, value);
      this.answered({ kind: 'write-single' }, t0);
    },
    writeRegister: async (address, value) => {
      const t0 = performance.now();
      await this.client.writeRegister(address, value);
      this.answered({ kind: 'write-single' }, t0);
    },
    writeRegisters: async (address, values) => {
      const t0 = performance.now();
      await this.client.writeRegisters(address, values);
      this.answered({ kind: 'write-registers', count: values.length }, t0);
    },
  };

  private async ensureOpen(): Promise<void> {
    if (this.closed) throw new DeviceError('DISCONNECTED', `bus ${this.key} is closed`);
    // Converters often take one TCP client only: the old link goes before the new one comes.
    if (this.closing) await this.closing;
    if (this.client.isOpen && !this.stale) return;
    const wait = this.linkBackoff.waitMs();
    if (wait > 0) throw new DeviceError('DISCONNECTED', `bus ${this.key} is down; next connect attempt in ${wait} ms`);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  private async connect(): Promise<void> {
    const e = this.endpoint;
    try {
      if (this.options.port) await this.openPort();
      else if (e.type === 'modbus-tcp') await this.client.connectTCP(e.host, { port: e.port });
      else if (e.type === 'modbus-rtu-over-tcp') await this.client.connectTelnet(e.host, { port: e.port });
      else await this.client.connectRTUBuffered(e.path, { baudRate: e.baudRate, dataBits: e.dataBits, parity: e.parity, stopBits: e.stopBits });
      this.stale = false;
      if (this.linkBackoff.failures > 0) this.log.info({ bus: this.key }, 'modbus bus reconnected');
      this.linkBackoff.succeeded();
    } catch (err) {
      // Back off per bus so a dead converter costs one quick failure per poll, not a connect storm.
      const delay = this.linkBackoff.failed();
      if (this.linkBackoff.failures === 1) this.log.warn({ bus: this.key, err: errMessage(err), retryMs: delay }, 'modbus bus cannot connect');
      throw new DeviceError('DISCONNECTED', `cannot connect to ${this.key}: ${errMessage(err)}`, undefined, { cause: err });
    }
  }

  private openPort(): Promise<void> {
    return new Promise((resolve, reject) => this.client.open((err: unknown) => (err ? reject(err) : resolve())));
  }

  private dropConnection(): void {
    this.stale = true;
    if (this.closing || !this.client.isOpen) return;
    this.closing = new Promise<void>((resolve) => {
      // A peer that never completes the close must not hold the bus.
      const cancelGiveUp = this.clock.after(CLOSE_WAIT_MS, resolve);
      this.client.close(() => {
        cancelGiveUp();
        resolve();
      });
    }).finally(() => {
      this.closing = undefined;
    });
  }
}

function probeShape(target: ProbeTarget): RequestShape {
  return target.table === 'holding' || target.table === 'input' ? { kind: 'read-registers', count: 1 } : { kind: 'read-bits', count: 1 };
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** modbus-serial reports failures as plain Errors with an errno or modbusCode; give them our codes. */
export function classify(err: unknown): DeviceError {
  if (err instanceof DeviceError) return err;
  const e = err as { message?: string; errno?: string; modbusCode?: number };
  const message = e.message ?? String(err);
  let code: DeviceErrorCode = 'DISCONNECTED';
  if (typeof e.modbusCode === 'number') code = 'EXCEPTION';
  else if (e.errno === 'ETIMEDOUT' || /timed out/i.test(message)) code = 'TIMEOUT';
  else if (/crc/i.test(message)) code = 'CRC';
  else if (/data length error|unexpected|invalid/i.test(message)) code = 'PROTOCOL';
  return new DeviceError(code, message, typeof e.modbusCode === 'number' ? { exception: e.modbusCode } : undefined, { cause: err });
}
