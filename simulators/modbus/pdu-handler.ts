import { ExceptionCode, exceptionPdu } from './modbus-exception.js';
import type { BitTable, RegisterBank, RegisterTable } from './register-bank.js';

/*
 * One request PDU in, one response PDU out, for the functions the reference devices implement.
 * Checks run in the order of the server state diagrams in Modbus Application Protocol v1.1b3 §6:
 * function code (01), then quantity and byte count (03), then address (02), then execution (04).
 */

const LIMITS = {
  readBits: 2000, // §6.1, §6.2: 0x07D0
  readRegisters: 125, // §6.3, §6.4: 0x007D
  writeBits: 1968, // §6.11: 0x07B0
  writeRegisters: 123, // §6.12: 0x007B
} as const;

const COIL_ON = 0xff00;
const COIL_OFF = 0x0000;

export function handlePdu(bank: RegisterBank, pdu: Buffer): Buffer {
  const functionCode = pdu[0] ?? 0;
  try {
    switch (functionCode) {
      case 1:
        return readBits(bank, 'coil', pdu);
      case 2:
        return readBits(bank, 'discrete', pdu);
      case 3:
        return readRegisters(bank, 'holding', pdu);
      case 4:
        return readRegisters(bank, 'input', pdu);
      case 5:
        return writeSingleCoil(bank, pdu);
      case 6:
        return writeSingleRegister(bank, pdu);
      case 15:
        return writeMultipleCoils(bank, pdu);
      case 16:
        return writeMultipleRegisters(bank, pdu);
      default:
        return exceptionPdu(functionCode, ExceptionCode.illegalFunction);
    }
  } catch {
    // A device model that fails while reacting to a write: the device reports it, it does not die.
    return exceptionPdu(functionCode, ExceptionCode.serverDeviceFailure);
  }
}

function readBits(bank: RegisterBank, table: BitTable, pdu: Buffer): Buffer {
  if (pdu.length !== 5) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > LIMITS.readBits) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataValue);
  if (!bank.isMapped(table, address, quantity)) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataAddress);
  const packed = packBits(bank.getBits(table, address, quantity));
  return Buffer.concat([Buffer.from([pdu[0] ?? 0, packed.length]), packed]);
}

function readRegisters(bank: RegisterBank, table: RegisterTable, pdu: Buffer): Buffer {
  if (pdu.length !== 5) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > LIMITS.readRegisters) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataValue);
  if (!bank.isMapped(table, address, quantity)) return exceptionPdu(pdu[0] ?? 0, ExceptionCode.illegalDataAddress);
  const out = Buffer.alloc(2 + 2 * quantity);
  out[0] = pdu[0] ?? 0;
  out[1] = 2 * quantity;
  bank.getRegisters(table, address, quantity).forEach((value, i) => out.writeUInt16BE(value, 2 + 2 * i));
  return out;
}

function writeSingleCoil(bank: RegisterBank, pdu: Buffer): Buffer {
  if (pdu.length !== 5) return exceptionPdu(5, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const value = pdu.readUInt16BE(3);
  if (value !== COIL_ON && value !== COIL_OFF) return exceptionPdu(5, ExceptionCode.illegalDataValue);
  if (!bank.isWritable('coil', address)) return exceptionPdu(5, ExceptionCode.illegalDataAddress);
  bank.writeFromMaster({ table: 'coil', address, values: [value === COIL_ON ? 1 : 0] });
  return Buffer.from(pdu);
}

function writeSingleRegister(bank: RegisterBank, pdu: Buffer): Buffer {
  if (pdu.length !== 5) return exceptionPdu(6, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  if (!bank.isWritable('holding', address)) return exceptionPdu(6, ExceptionCode.illegalDataAddress);
  bank.writeFromMaster({ table: 'holding', address, values: [pdu.readUInt16BE(3)] });
  return Buffer.from(pdu);
}

function writeMultipleCoils(bank: RegisterBank, pdu: Buffer): Buffer {
  if (pdu.length < 6) return exceptionPdu(15, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] ?? 0;
  const countOk = quantity >= 1 && quantity <= LIMITS.writeBits && byteCount === Math.ceil(quantity / 8);
  if (!countOk || pdu.length !== 6 + byteCount) return exceptionPdu(15, ExceptionCode.illegalDataValue);
  if (!bank.isWritable('coil', address, quantity)) return exceptionPdu(15, ExceptionCode.illegalDataAddress);
  bank.writeFromMaster({ table: 'coil', address, values: unpackBits(pdu.subarray(6), quantity) });
  return writeAck(15, address, quantity);
}

function writeMultipleRegisters(bank: RegisterBank, pdu: Buffer): Buffer {
  if (pdu.length < 6) return exceptionPdu(16, ExceptionCode.illegalDataValue);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] ?? 0;
  const countOk = quantity >= 1 && quantity <= LIMITS.writeRegisters && byteCount === 2 * quantity;
  if (!countOk || pdu.length !== 6 + byteCount) return exceptionPdu(16, ExceptionCode.illegalDataValue);
  if (!bank.isWritable('holding', address, quantity)) return exceptionPdu(16, ExceptionCode.illegalDataAddress);
  const values = Array.from({ length: quantity }, (_, i) => pdu.readUInt16BE(6 + 2 * i));
  bank.writeFromMaster({ table: 'holding', address, values });
  return writeAck(16, address, quantity);
}

function writeAck(functionCode: number, address: number, quantity: number): Buffer {
  const out = Buffer.alloc(5);
  out[0] = functionCode;
  out.writeUInt16BE(address, 1);
  out.writeUInt16BE(quantity, 3);
  return out;
}

/** First bit in the low bit of the first byte; unused high bits of the last byte are zero (§6.1). */
export function packBits(bits: readonly number[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >> 3] = (out[i >> 3] ?? 0) | (1 << (i & 7));
  });
  return out;
}

export function unpackBits(bytes: Uint8Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (((bytes[i >> 3] ?? 0) >> (i & 7)) & 1));
}
