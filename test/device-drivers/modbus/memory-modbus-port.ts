import { EventEmitter } from 'node:events';
import type { ModbusPort } from '../../../device-drivers/modbus/modbus-bus.js';
import { handlePdu } from '../../../simulators/modbus/pdu-handler.js';
import { RegisterBank } from '../../../simulators/modbus/register-bank.js';
import { decodeRtuFrame, encodeRtuFrame } from '../../../simulators/modbus/rtu-frame.js';

/** How a unit on the line behaves: answers, stays silent, answers with a damaged CRC, or answers only one-register reads. */
export type UnitBehaviour = 'answer' | 'silent' | 'bad-crc' | 'one-register-only';

export interface WireRequest {
  unitId: number;
  functionCode: number;
  /** Registers or bits a read asked for (FC1-4); undefined for writes. */
  count?: number | undefined;
}

/**
 * An RS-485 line in memory, for the bus logic: each unit a real simulator register bank behind
 * the simulators' PDU handler, answering just after the request is written. It keeps
 * what reached the wire, and notes a request written while another was still unanswered (the
 * one thing the bus's queue exists to prevent).
 */
export class MemoryModbusPort extends EventEmitter implements ModbusPort {
  readonly requests: WireRequest[] = [];
  opens = 0;
  closes = 0;
  overlaps = 0;
  /** Opens still to fail, as a converter that is down would. */
  failOpens = 0;
  private open_ = false;
  private outstanding = 0;
  private readonly units = new Map<number, { bank: RegisterBank; behaviour: UnitBehaviour; damageNext: number }>();

  get isOpen(): boolean {
    return this.open_;
  }

  /** Adds unit `unitId` with holding registers 0..9 set to `unitId * 100 + address`. */
  addUnit(unitId: number, behaviour: UnitBehaviour = 'answer'): RegisterBank {
    const bank = new RegisterBank();
    bank.map('holding', 0, 10, { writable: true });
    bank.setRegisters('holding', 0, Array.from({ length: 10 }, (_, a) => unitId * 100 + a));
    bank.map('coil', 0, 8, { writable: true });
    this.units.set(unitId, { bank, behaviour, damageNext: 0 });
    return bank;
  }

  behave(unitId: number, behaviour: UnitBehaviour): void {
    this.unitOf(unitId).behaviour = behaviour;
  }

  /** The next `n` answers of the unit go out with a bad CRC, then it answers well again. */
  damageNext(unitId: number, n: number): void {
    this.unitOf(unitId).damageNext = n;
  }

  wireCount(unitId: number): number {
    return this.requests.filter((r) => r.unitId === unitId).length;
  }

  open(callback: (err?: Error | null) => void): void {
    setImmediate(() => {
      if (this.failOpens > 0) {
        this.failOpens--;
        callback(new Error('connect ECONNREFUSED (memory line down)'));
        return;
      }
      this.opens++;
      this.open_ = true;
      callback(null);
    });
  }

  close(callback: (err?: Error | null) => void): void {
    setImmediate(() => {
      this.closes++;
      this.open_ = false;
      this.outstanding = 0;
      this.emit('close');
      callback(null);
    });
  }

  write(frame: Buffer): void {
    const decoded = decodeRtuFrame(Buffer.from(frame));
    if (!decoded.ok) throw new Error(`the bus wrote a bad frame: ${decoded.reason}`);
    if (this.outstanding > 0) this.overlaps++;
    const fc = decoded.pdu[0] ?? 0;
    this.requests.push({ unitId: decoded.unitId, functionCode: fc, count: fc >= 1 && fc <= 4 ? decoded.pdu.readUInt16BE(3) : undefined });
    const unit = this.units.get(decoded.unitId);
    if (!unit || unit.behaviour === 'silent') return;
    // A unit that answers a probe and then not the read after it.
    if (unit.behaviour === 'one-register-only' && (this.requests.at(-1)?.count ?? 1) > 1) return;
    this.outstanding++;
    const answer = encodeRtuFrame(decoded.unitId, handlePdu(unit.bank, decoded.pdu));
    if (unit.behaviour === 'bad-crc' || unit.damageNext > 0) {
      if (unit.damageNext > 0) unit.damageNext--;
      answer[answer.length - 1] = (answer[answer.length - 1] ?? 0) ^ 0xff;
    }
    // Before any timer can run: modbus-serial's real transaction timeout must never beat an
    // answering unit, however loaded the machine.
    queueMicrotask(() => {
      if (!this.open_) return;
      this.outstanding--;
      this.emit('data', answer);
    });
  }

  private unitOf(unitId: number): { bank: RegisterBank; behaviour: UnitBehaviour; damageNext: number } {
    const unit = this.units.get(unitId);
    if (!unit) throw new Error(`no unit ${unitId} on the memory line`);
    return unit;
  }
}
