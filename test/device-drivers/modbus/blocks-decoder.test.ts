import { describe, expect, it } from 'vitest';
import { compileBlocksDecoder } from '../../../device-drivers/modbus/blocks-decoder.js';
import { placePoints } from '../../../device-drivers/modbus/profile-layout.js';
import { planReads } from '../../../device-drivers/modbus/read-plan.js';
import { loadTestProfile } from '../../simulators/modbus/load-test-profile.js';

describe('compileBlocksDecoder', () => {
  const profile = loadTestProfile('cabinet-ref');
  const plan = planReads(placePoints(profile, { slots: 2 }), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
  const decode = compileBlocksDecoder(profile, plan);
  /** Registers of the plan's blocks, `value(address)` at each address. */
  const data = (value: (address: number) => number): number[][] => plan.map((b) => Array.from({ length: b.count }, (_, i) => value(b.start + i)));

  it('places every point where the profile publishes it: top level, and groups as arrays of records', () => {
    // Slot i's state register (100 + 10 i) holds 2 (ready), its soc (102 + 10 i) 50 + i.
    const slotRegister = (a: number): number => {
      const [slot, offset] = [Math.floor((a - 100) / 10), (a - 100) % 10];
      return offset === 0 ? 2 : offset === 2 ? 50 + slot : 0;
    };
    const points = decode(data((a) => (a >= 100 ? slotRegister(a) : a === 2 ? 2 : 0)));
    expect(points['slotCount']).toBe(2);
    const slots = points['slots'] as Array<Record<string, unknown>>;
    expect(slots).toHaveLength(2);
    expect(slots.map((s) => [s['state'], s['soc']])).toEqual([
      ['ready', 50],
      ['ready', 51],
    ]);
    // The order of keys is the plan's, as decoding one point at a time gave it.
    expect(Object.keys(points)).toEqual(['status', 'cabinetTemp', 'slotCount', 'firmware', 'slots']);
  });

  it('builds fresh records on every poll: a poll never changes what an earlier one returned', () => {
    const first = decode(data(() => 1));
    const second = decode(data(() => 3));
    expect(first['firmware']).toBe(1);
    expect(second['firmware']).toBe(3);
    expect((first['slots'] as Array<Record<string, unknown>>)[0]).not.toBe((second['slots'] as Array<Record<string, unknown>>)[0]);
  });

  it('reads a short block as zeros rather than throwing', () => {
    const points = decode(plan.map(() => []));
    expect(points['slotCount']).toBe(0);
  });
});
