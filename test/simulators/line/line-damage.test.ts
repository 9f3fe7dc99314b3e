import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../device-drivers/line/line-frame.js';
import { corruptChecksum, damageLine, noiseLine } from '../../../simulators/line/line-damage.js';
import { mulberry32 } from '../../../simulators/modbus/seeded-random.js';

const ok = { corrupt: false, partial: false, garbage: false };

describe('line damage', () => {
  const frame = encodeFrame(7, 'STATUS', [1, 'LOCKED', 'CLOSED']);

  it('leaves a frame alone without faults', () => {
    expect(damageLine(frame, ok, mulberry32(1))).toBe(frame);
  });

  it('a corrupt frame fails its checksum and nothing else', () => {
    const bad = corruptChecksum(frame);
    expect(bad).not.toBe(frame);
    expect(bad.endsWith('\r\n')).toBe(true);
    expect(() => decodeFrame(bad.trimEnd())).toThrow(expect.objectContaining({ code: 'CHECKSUM' }));
  });

  it('a partial frame is a prefix with no line end', () => {
    const cut = damageLine(frame, { ...ok, partial: true }, mulberry32(1));
    expect(frame.startsWith(cut)).toBe(true);
    expect(cut).not.toMatch(/[\r\n]/);
  });

  it('noise is one line with no line end inside it, the same for the same seed', () => {
    const a = noiseLine(40, mulberry32(3));
    expect(a.length).toBe(42);
    expect(a.subarray(0, 40).includes(0x0a) || a.subarray(0, 40).includes(0x0d)).toBe(false);
    expect(a.subarray(40).toString()).toBe('\r\n');
    expect(noiseLine(40, mulberry32(3))).toEqual(a);
  });
});
