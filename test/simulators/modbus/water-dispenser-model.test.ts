import { describe, expect, it } from 'vitest';
import { WaterDispenserModel } from '../../../simulators/modbus/models/water-dispenser-model.js';
import { handlePdu } from '../../../simulators/modbus/pdu-handler.js';
import { loadTestProfile } from './load-test-profile.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('WaterDispenserModel on dispenser-ref', () => {
  const profile = loadTestProfile('dispenser-ref');

  it('is idle with a healthy supply, hot water near 90 °C, dispensing enabled', () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    const v = model.view;
    expect(v.get('status')).toMatchObject({ supplyOk: true, leak: false, filterDue: false });
    expect(v.get('hotTemp') as number).toBeGreaterThanOrEqual(85);
    expect(v.get('hotTemp') as number).toBeLessThanOrEqual(95);
    expect(v.get('tankLevel') as number).toBeGreaterThan(50);
    expect(v.get('filterLife') as number).toBeGreaterThan(10);
    expect(v.get('totalVolume') as number).toBeGreaterThanOrEqual(0);
    expect(v.get('session')).toBe('idle');
    expect(v.get('sessionVolume')).toBe(0);
    expect(v.get('dispensingEnabled')).toBe(true);
    expect(v.get('hotWaterLock')).toBe(false);
    expect(model.bank.isMapped('holding', 0, 8) && model.bank.isMapped('holding', 20)).toBe(true);
    expect(model.bank.isMapped('holding', 8)).toBe(false);
  });

  it('holds the hot tank in its thermostat band, switching the heater', () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    const heater = new Set<boolean>();
    for (let m = 0; m < 120; m++) {
      model.tick(60_000);
      const t = model.view.get('hotTemp') as number;
      expect(t).toBeGreaterThan(85);
      expect(t).toBeLessThan(95);
      heater.add((model.view.get('status') as Record<string, boolean>).heaterOn === true);
    }
    expect(heater).toEqual(new Set([true, false]));
  });

  it('lets the master write maxSessionVolume and the coils, and only those', () => {
    const model = new WaterDispenserModel({ profile, seed: 3 });
    expect(handlePdu(model.bank, hex('06 0014 01F4'))).toEqual(hex('06 0014 01F4'));
    expect(handlePdu(model.bank, hex('05 0000 0000'))).toEqual(hex('05 0000 0000'));
    model.tick(5000);
    expect(model.view.get('maxSessionVolume')).toBe(500);
    expect(model.view.get('dispensingEnabled')).toBe(false);
    expect(handlePdu(model.bank, hex('06 0002 0000'))).toEqual(hex('86 02'));
  });
});
