import modbusSerial from 'modbus-serial';
import type { Logger } from 'pino';
import { DeviceError, type DeviceErrorCode } from '../device-error.js';

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
  writeRegisters(address: number, values: number[]): Promise<void>;
}

/**
 * One RS-485 line or one TCP connection, with one transaction queue. modbus-serial allows only
 * one outstanding request on a serial line (a second overwrites the first, which then never
 * settles: PITFALLS), so every device on the bus goes through `transact`, strictly in turn.
 */
export class ModbusBus {
  private readonly client = new modbusSerial.default();
  private tail: Promise<unknown> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  private nextConnectAt = 0;
  private connectFailures = 0;
  private closed = false;

  constructor(
    readonly endpoint: ModbusEndpoint,
    private readonly log: Logger,
    private readonly reconnectMinMs = 500,
    private readonly reconnectMaxMs = 30_000,
  ) {}

  get key(): string {
    return endpointKey(this.endpoint);
  }

  /** Runs `work` as the bus's only transaction(s) for unit `unitId`, after those queued before it. */
  transact<T>(unitId: number, timeoutMs: number, work: (session: ModbusSession) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.ensureOpen();
      this.client.setID(unitId);
      this.client.setTimeout(timeoutMs);
      try {
        return await work(this.session);
      } catch (err) {
        const e = classify(err);
        if (e.code === 'DISCONNECTED') this.dropConnection();
        throw e;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await new Promise<void>((resolve) => {
      if (!this.client.isOpen) return resolve();
      this.client.close(() => resolve());
    });
  }

  private readonly session: ModbusSession = {
    readRegisters: async (table, address, count) => {
      const r = table === 'holding' ? await this.client.readHoldingRegisters(address, count) : await this.client.readInputRegisters(address, count);
      return r.data.slice(0, count);
    },
    readBits: async (table, address, count) => {
      const r = table === 'coil' ? await this.client.readCoils(address, count) : await this.client.readDiscreteInputs(address, count);
      return r.data.slice(0, count);
    },
    writeCoil: async (address, value) => {
      await this.client.writeCoil(address, value);
    },
    writeRegisters: async (address, values) => {
      await this.client.writeRegisters(address, values);
    },
  };

  private async ensureOpen(): Promise<void> {
    if (this.closed) throw new DeviceError('DISCONNECTED', `bus ${this.key} is closed`);
    if (this.client.isOpen) return;
    if (Date.now() < this.nextConnectAt) {
      throw new DeviceError('DISCONNECTED', `bus ${this.key} is down; next connect attempt in ${this.nextConnectAt - Date.now()} ms`);
    }
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  private async connect(): Promise<void> {
    const e = this.endpoint;
    try {
      if (e.type === 'modbus-tcp') await this.client.connectTCP(e.host, { port: e.port });
      else if (e.type === 'modbus-rtu-over-tcp') await this.client.connectTelnet(e.host, { port: e.port });
      else await this.client.connectRTUBuffered(e.path, { baudRate: e.baudRate, dataBits: e.dataBits, parity: e.parity, stopBits: e.stopBits });
      if (this.connectFailures > 0) this.log.info({ bus: this.key }, 'modbus bus reconnected');
      this.connectFailures = 0;
      this.nextConnectAt = 0;
    } catch (err) {
      // Back off per bus so a dead converter costs one quick failure per poll, not a connect storm.
      this.connectFailures++;
      const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(this.connectFailures - 1, 16));
      this.nextConnectAt = Date.now() + delay;
      if (this.connectFailures === 1) this.log.warn({ bus: this.key, err: errMessage(err) }, 'modbus bus cannot connect');
      throw new DeviceError('DISCONNECTED', `cannot connect to ${this.key}: ${errMessage(err)}`, undefined, { cause: err });
    }
  }

  private dropConnection(): void {
    if (this.client.isOpen) this.client.close(() => undefined);
  }
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
