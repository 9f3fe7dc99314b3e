import { describe, expect, it } from 'vitest';
import { pointSchema } from '../../../config/profile-schema.js';
import { loadProfileFile } from '../../../config/load-profile.js';
import { builtinProfilesDir } from '../../../config/package-root.js';
import { placePoints } from '../../../device-drivers/modbus/profile-layout.js';
import { planReads, pointLength, type PlacedPoint } from '../../../device-drivers/modbus/read-plan.js';
import { join } from 'node:path';

function at(address: number, type = 'uint16', table = 'holding'): PlacedPoint {
  const spec = pointSchema.parse({ address, type, table });
  return { path: [`p${address}`], spec, address, length: pointLength(spec) };
}

describe('planReads', () => {
  it('merges adjacent registers into one block', () => {
    const blocks = planReads([at(0), at(1), at(2, 'uint32')], { maxGap: 0, maxRegisters: 125 });
    expect(blocks.map((b) => [b.table, b.start, b.count])).toEqual([['holding', 0, 4]]);
  });

  it('bridges gaps up to maxGap and no further', () => {
    expect(planReads([at(0), at(5)], { maxGap: 4, maxRegisters: 125 }).map((b) => [b.start, b.count])).toEqual([[0, 6]]);
    expect(planReads([at(0), at(6)], { maxGap: 4, maxRegisters: 125 }).map((b) => [b.start, b.count])).toEqual([
      [0, 1],
      [6, 1],
    ]);
  });

  it('never exceeds the register limit and never splits a 32-bit value', () => {
    const points = [at(0), at(123, 'uint32'), at(125)];
    const blocks = planReads(points, { maxGap: 200, maxRegisters: 125 });
    expect(blocks.map((b) => [b.start, b.count])).toEqual([
      [0, 125],
      [125, 1],
    ]);
    const tight = planReads([at(0), at(124, 'uint32')], { maxGap: 200, maxRegisters: 125 });
    expect(tight.map((b) => [b.start, b.count])).toEqual([
      [0, 1],
      [124, 2],
    ]);
  });

  it('keeps tables apart', () => {
    const blocks = planReads([at(0), at(0, 'bool', 'coil'), at(1, 'bool', 'coil'), at(1, 'uint16', 'input')], { maxGap: 0, maxRegisters: 125 });
    expect(blocks.map((b) => [b.table, b.start, b.count]).sort()).toEqual([
      ['coil', 0, 2],
      ['holding', 0, 1],
      ['input', 1, 1],
    ]);
  });

  it('reads the reference cabinet with 8 slots in two transactions', () => {
    const { profile } = loadProfileFile(join(builtinProfilesDir(), 'cabinet-ref.yaml'));
    if (!profile) throw new Error('profile did not load');
    const blocks = planReads(placePoints(profile, { slots: 8 }), { maxGap: profile.maxGap, maxRegisters: profile.maxBlock });
    expect(blocks.map((b) => [b.table, b.start, b.count])).toEqual([
      ['holding', 0, 4],
      ['holding', 100, 80],
    ]);
  });
});
