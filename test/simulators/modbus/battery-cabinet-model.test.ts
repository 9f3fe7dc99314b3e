import { describe, expect, it } from 'vitest';
import { BatteryCabinetModel, SlotState } from '../../../simulators/modbus/models/battery-cabinet-model.js';
import { handlePdu } from '../../../simulators/modbus/pdu-handler.js';
import { loadTestProfile } from './load-test-profile.js';

const HOUR = 3_600_000;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('BatteryCabinetModel on cabinet-ref', () => {
  const profile = loadTestProfile('cabinet-ref');

  it('publishes the cabinet block and 8 slots at the profile addresses', () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const [status, temp, slotCount, firmware] = model.bank.getRegisters('holding', 0, 4);
    expect(status).toBe(0b0001);
    expect(temp).toBeGreaterThanOrEqual(150);
    expect(temp).toBeLessThanOrEqual(350);
    expect(slotCount).toBe(8);
    expect(firmware).toBeGreaterThan(0);
    expect(model.bank.isMapped('holding', 100, 80)).toBe(true);
    expect(model.bank.isMapped('holding', 180)).toBe(false);
    expect(model.bank.isMapped('holding', 4)).toBe(false);
    expect(model.bank.isWritable('coil', 0, 8) && model.bank.isWritable('coil', 100, 8)).toBe(true);
    expect(model.bank.isMapped('coil', 8)).toBe(false);
  });

  it('mixes empty, charging and ready slots with believable batteries', () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const states = Array.from({ length: 8 }, (_, i) => model.view.getIn('slots', i, 'state'));
    expect(states).toContain('empty');
    expect(states).toContain('charging');
    expect(states).toContain('ready');
    for (let i = 0; i < 8; i++) {
      const state = model.view.getIn('slots', i, 'state');
      const voltage = model.view.getIn('slots', i, 'voltage') as number;
      const current = model.view.getIn('slots', i, 'current') as number;
      const packType = model.view.getIn('slots', i, 'packType') as number;
      if (state === 'empty') {
        expect([voltage, current, model.view.getIn('slots', i, 'batteryId')]).toEqual([0, 0, 0]);
        continue;
      }
      expect([48, 60]).toContain(packType);
      expect(voltage).toBeGreaterThan(packType * 0.9);
      expect(voltage).toBeLessThan(packType * 1.16);
      expect(model.view.getIn('slots', i, 'batteryTemp')).toBeGreaterThanOrEqual(25);
      expect(model.view.getIn('slots', i, 'batteryTemp')).toBeLessThanOrEqual(35);
      expect(model.view.getIn('slots', i, 'batteryId')).not.toBe(0);
      if (state === 'charging') expect(current).toBeGreaterThan(0);
      else expect(current).toBe(0);
    }
  });

  it('charges: SOC rises, current falls near full, the slot turns ready at 100 %', () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const i = Array.from({ length: 8 }, (_, k) => k).find((k) => model.slotState(k) === SlotState.charging) ?? -1;
    const soc0 = model.view.getIn('slots', i, 'soc') as number;
    model.tick(10 * 60_000);
    expect(model.view.getIn('slots', i, 'soc') as number).toBeGreaterThan(soc0);
    let sawTaper = false;
    for (let t = 0; t < 6 * HOUR && model.slotState(i) === SlotState.charging; t += 60_000) {
      model.tick(60_000);
      const current = model.view.getIn('slots', i, 'current') as number;
      if ((model.view.getIn('slots', i, 'soc') as number) >= 90 && current > 0 && current < 10) sawTaper = true;
    }
    expect(sawTaper).toBe(true);
    expect(model.view.getIn('slots', i, 'state')).toBe('ready');
    expect(model.view.getIn('slots', i, 'soc')).toBe(100);
    expect(model.view.getIn('slots', i, 'current')).toBe(0);
    expect(model.view.getIn('slots', i, 'voltage') as number).toBeGreaterThan(model.view.getIn('slots', i, 'packType') as number);
  });

  it('coil i pulses door i open; the cabinet clears the coil and closes the door after a few seconds', () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    expect(handlePdu(model.bank, hex('05 0003 FF00'))).toEqual(hex('05 0003 FF00'));
    expect(model.view.getIn('slots', 3, 'door')).toBe('open');
    expect(model.bank.getBits('coil', 3)).toEqual([0]);
    expect(model.view.getIn('slots', 2, 'door')).toBe('closed');
    model.tick(1000);
    expect(model.view.getIn('slots', 3, 'door')).toBe('open');
    model.tick(10_000);
    expect(model.view.getIn('slots', 3, 'door')).toBe('closed');
  });

  it('coil 100+i cuts and restores charging of slot i', () => {
    const model = new BatteryCabinetModel({ profile, seed: 7 });
    const i = Array.from({ length: 8 }, (_, k) => k).find((k) => model.slotState(k) === SlotState.charging) ?? -1;
    expect(model.bank.getBits('coil', 100 + i)).toEqual([1]);
    handlePdu(model.bank, Buffer.from([0x05, 0, 100 + i, 0x00, 0x00]));
    expect(model.view.getIn('slots', i, 'current')).toBe(0);
    expect(model.view.getIn('slots', i, 'state')).toBe('disabled');
    const soc = model.view.getIn('slots', i, 'soc');
    model.tick(HOUR);
    expect(model.view.getIn('slots', i, 'soc')).toBe(soc);
    expect(model.bank.getBits('coil', 100 + i)).toEqual([0]);
    handlePdu(model.bank, Buffer.from([0x05, 0, 100 + i, 0xff, 0x00]));
    expect(model.view.getIn('slots', i, 'state')).toBe('charging');
    expect(model.view.getIn('slots', i, 'current') as number).toBeGreaterThan(0);
  });

  it('honours the slot count within the profile maximum', () => {
    const model = new BatteryCabinetModel({ profile, slots: 24, seed: 1 });
    expect(model.view.get('slotCount')).toBe(24);
    expect(model.bank.isMapped('holding', 100, 240)).toBe(true);
    expect(new BatteryCabinetModel({ profile, slots: 99 }).slotCount).toBe(24);
  });

  it('repeats itself for the same seed', () => {
    const a = new BatteryCabinetModel({ profile, seed: 42 });
    const b = new BatteryCabinetModel({ profile, seed: 42 });
    a.tick(HOUR);
    b.tick(HOUR);
    expect(a.bank.getRegisters('holding', 0, 180)).toEqual(b.bank.getRegisters('holding', 0, 180));
  });
});

describe('BatteryCabinetModel on another vendor profile', () => {
  const profile = loadTestProfile('fixtures/cabinet-other-vendor.yaml');

  it('writes the same cabinet through a different map, unchanged', () => {
    const model = new BatteryCabinetModel({ profile, slots: 8, seed: 7 });
    expect(model.slotCount).toBe(6);
    expect(model.bank.isMapped('input', 1000, 10)).toBe(true);
    expect(model.bank.isMapped('input', 1000 + 16 * 5, 10)).toBe(true);
    expect(model.bank.isMapped('input', 1000 + 16 * 6)).toBe(false);
    expect(model.bank.isMapped('holding', 0)).toBe(false);
    expect(model.view.get('status')).toEqual({ smoke: false, mainsOk: true });
    expect(model.bank.getRegisters('input', 10)).toEqual([1 << 5]);
    const i = Array.from({ length: 6 }, (_, k) => k).find((k) => model.slotState(k) === SlotState.charging) ?? -1;
    expect(i).toBeGreaterThanOrEqual(0);
    const base = 1000 + 16 * i;
    // current, int32 × 0.001 A, low word first: 10 A is 10000 = 0x0000_2710.
    expect(model.bank.getRegisters('input', base + 5, 2)).toEqual([0x2710, 0x0000]);
    expect(model.view.getIn('slots', i, 'current')).toBe(10);
    expect(model.view.getIn('slots', i, 'voltage') as number).toBeGreaterThan(40);

    handlePdu(model.bank, Buffer.from([0x05, 0, 200 + i, 0xff, 0x00]));
    expect(model.bank.getBits('discrete', base)).toEqual([1]);
    handlePdu(model.bank, Buffer.from([0x05, 0x01, 0x2c + i, 0x00, 0x00]));
    expect(model.view.getIn('slots', i, 'current')).toBe(0);
    expect(handlePdu(model.bank, hex('05 0000 FF00'))).toEqual(hex('85 02'));
  });
});
