import { describe, expect, it } from 'vitest';
import { RegisterBank, type MasterWrite } from '../../../simulators/modbus/register-bank.js';

describe('RegisterBank', () => {
  it('keeps the four tables apart and reaches the whole address space', () => {
    const bank = new RegisterBank();
    bank.setRegisters('holding', 65534, [1, 2]);
    bank.setRegisters('input', 65534, [3, 4]);
    bank.setBits('coil', 0, [true, false, 1]);
    bank.setBits('discrete', 0, [0, 1]);
    expect(bank.getRegisters('holding', 65534, 2)).toEqual([1, 2]);
    expect(bank.getRegisters('input', 65534, 2)).toEqual([3, 4]);
    expect(bank.getBits('coil', 0, 3)).toEqual([1, 0, 1]);
    expect(bank.getBits('discrete', 0, 2)).toEqual([0, 1]);
  });

  it('refuses values and ranges a register cannot hold', () => {
    const bank = new RegisterBank();
    expect(() => bank.setRegisters('holding', 0, [65536])).toThrow(RangeError);
    expect(() => bank.setRegisters('holding', 0, [-1])).toThrow(RangeError);
    expect(() => bank.setRegisters('holding', 65535, [1, 2])).toThrow(RangeError);
    expect(() => bank.getRegisters('input', -1, 1)).toThrow(RangeError);
  });

  it('tracks mapped and writable ranges per table', () => {
    const bank = new RegisterBank();
    bank.map('holding', 100, 10);
    bank.map('holding', 20, 1, { writable: true });
    bank.map('input', 0, 1, { writable: true });
    expect(bank.isMapped('holding', 100, 10)).toBe(true);
    expect(bank.isMapped('holding', 99, 2)).toBe(false);
    expect(bank.isMapped('holding', 105, 6)).toBe(false);
    expect(bank.isMapped('input', 100)).toBe(false);
    expect(bank.isWritable('holding', 100)).toBe(false);
    expect(bank.isWritable('holding', 20)).toBe(true);
    // Input registers and discrete inputs are read-only in Modbus whatever a model asks.
    expect(bank.isWritable('input', 0)).toBe(false);
    expect(bank.isMapped('holding', 65535, 2)).toBe(false);
  });

  it('tells listeners about master writes only, after storing them', () => {
    const bank = new RegisterBank();
    const seen: Array<MasterWrite & { stored: number[] }> = [];
    const off = bank.onMasterWrite((w) => seen.push({ ...w, stored: bank.getBits('coil', w.address, w.values.length) }));
    bank.setBits('coil', 0, [1]);
    bank.writeFromMaster({ table: 'coil', address: 3, values: [1, 0] });
    off();
    bank.writeFromMaster({ table: 'holding', address: 3, values: [7] });
    expect(seen).toEqual([{ table: 'coil', address: 3, values: [1, 0], stored: [1, 0] }]);
    expect(bank.getRegisters('holding', 3)).toEqual([7]);
  });
});
