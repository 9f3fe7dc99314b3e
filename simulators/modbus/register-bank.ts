export type RegisterTable = 'holding' | 'input';
export type BitTable = 'coil' | 'discrete';
/** The four Modbus tables, named as profiles name them. */
export type Table = RegisterTable | BitTable;

/** A write a master made (FC5/6/15/16), after it was stored. Coil values are 0 or 1. */
export interface MasterWrite {
  table: 'holding' | 'coil';
  address: number;
  values: readonly number[];
}
export type MasterWriteListener = (write: MasterWrite) => void;

const SIZE = 65536;
const MAPPED = 1;
const WRITABLE = 2;

/**
 * The four data tables of one unit, each the full 16-bit address space so any address is safe to
 * touch. Typed arrays rather than maps: 640 KiB per unit is nothing on a bench and keeps reads
 * branch-free. A device answers only for the addresses it maps; models declare those ranges, and
 * which of them a master may write.
 */
export class RegisterBank {
  private readonly registers: Record<RegisterTable, Uint16Array> = {
    holding: new Uint16Array(SIZE),
    input: new Uint16Array(SIZE),
  };
  private readonly bits: Record<BitTable, Uint8Array> = {
    coil: new Uint8Array(SIZE),
    discrete: new Uint8Array(SIZE),
  };
  private readonly flags: Record<Table, Uint8Array> = {
    holding: new Uint8Array(SIZE),
    input: new Uint8Array(SIZE),
    coil: new Uint8Array(SIZE),
    discrete: new Uint8Array(SIZE),
  };
  private readonly listeners = new Set<MasterWriteListener>();

  /** Declares addresses the device answers for; `writable` lets a master write them too. */
  map(table: Table, address: number, count = 1, options: { writable?: boolean } = {}): void {
    checkRange(address, count);
    const writable = options.writable === true && (table === 'holding' || table === 'coil');
    const flags = this.flags[table];
    for (let a = address; a < address + count; a++) {
      flags[a] = (flags[a] ?? 0) | MAPPED | (writable ? WRITABLE : 0);
    }
  }

  isMapped(table: Table, address: number, count = 1): boolean {
    return this.allFlagged(table, address, count, MAPPED);
  }

  isWritable(table: Table, address: number, count = 1): boolean {
    return this.allFlagged(table, address, count, WRITABLE);
  }

  getRegisters(table: RegisterTable, address: number, count = 1): number[] {
    checkRange(address, count);
    return Array.from(this.registers[table].subarray(address, address + count));
  }

  /** The device's own update (a model): no listener hears it. */
  setRegisters(table: RegisterTable, address: number, values: readonly number[]): void {
    checkRange(address, values.length);
    for (const v of values) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`register value ${v} is not 0..65535`);
    }
    this.registers[table].set(values, address);
  }

  /** Bits as 0/1. */
  getBits(table: BitTable, address: number, count = 1): number[] {
    checkRange(address, count);
    return Array.from(this.bits[table].subarray(address, address + count));
  }

  setBits(table: BitTable, address: number, values: readonly (number | boolean)[]): void {
    checkRange(address, values.length);
    this.bits[table].set(values.map((v) => (v ? 1 : 0)), address);
  }

  /** Stores a master's write, then lets the device react (a door pulse, a setpoint). */
  writeFromMaster(write: MasterWrite): void {
    if (write.table === 'holding') this.setRegisters('holding', write.address, write.values);
    else this.setBits('coil', write.address, write.values);
    for (const listener of this.listeners) listener(write);
  }

  /** Returns the function that removes the listener. */
  onMasterWrite(listener: MasterWriteListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private allFlagged(table: Table, address: number, count: number, flag: number): boolean {
    if (!Number.isInteger(address) || !Number.isInteger(count) || address < 0 || count < 1 || address + count > SIZE) return false;
    const flags = this.flags[table];
    for (let a = address; a < address + count; a++) {
      if (((flags[a] ?? 0) & flag) === 0) return false;
    }
    return true;
  }
}

function checkRange(address: number, count: number): void {
  if (!Number.isInteger(address) || !Number.isInteger(count) || address < 0 || count < 0 || address + count > SIZE) {
    throw new RangeError(`address range ${address}+${count} is outside 0..65535`);
  }
}
