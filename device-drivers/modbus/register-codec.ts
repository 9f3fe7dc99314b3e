import type { PointValue } from '../device.js';
import type { PointSpec } from '../../config/profile-schema.js';

export type ByteOrder = 'big' | 'little';

/** How many 16-bit registers a point of this type occupies (bit tables: one bit). */
export function registerCount(type: PointSpec['type']): number {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

const swapBytes = (w: number): number => ((w & 0xff) << 8) | (w >> 8);

/**
 * Raw registers (as the wire gives them, one 16-bit word each) → engineering value.
 * Byte order applies inside each register, word order to which register holds the high half:
 * vendors differ on both, and a profile says which it is.
 */
export function decodePoint(
  spec: PointSpec,
  words: readonly number[],
  defaults: { byteOrder: ByteOrder; wordOrder: ByteOrder },
): PointValue {
  const byteOrder = spec.byteOrder ?? defaults.byteOrder;
  const wordOrder = spec.wordOrder ?? defaults.wordOrder;
  const w = words.map((x) => (byteOrder === 'little' ? swapBytes(x & 0xffff) : x & 0xffff));
  const [first = 0, second = 0] = w;
  const [hi, lo] = wordOrder === 'big' ? [first, second] : [second, first];

  switch (spec.type) {
    case 'bool':
      return first !== 0;
    case 'uint16':
      return scaled(first, spec.scale);
    case 'int16':
      return scaled(first >= 0x8000 ? first - 0x10000 : first, spec.scale);
    case 'uint32':
      return scaled(hi * 0x10000 + lo, spec.scale);
    case 'int32': {
      const u = hi * 0x10000 + lo;
      return scaled(u >= 0x80000000 ? u - 0x100000000 : u, spec.scale);
    }
    case 'float32': {
      const buf = Buffer.alloc(4);
      buf.writeUInt16BE(hi, 0);
      buf.writeUInt16BE(lo, 2);
      return scaled(buf.readFloatBE(0), spec.scale, 6);
    }
    case 'bits': {
      const out: Record<string, boolean> = {};
      for (const [name, bit] of Object.entries(spec.bits ?? {})) out[name] = ((first >> bit) & 1) === 1;
      return out;
    }
    case 'enum': {
      const label = spec.values?.[String(first)];
      return label ?? first;
    }
  }
}

/**
 * Scaling by 0.1 in binary floating point gives 23.400000000000002; round to the digits the
 * scale itself carries so published values compare and read as the device meant them.
 */
function scaled(raw: number, scale: number, minDigits = 0): number {
  if (scale === 1 && minDigits === 0) return raw;
  const digits = Math.max(minDigits, decimalsOf(scale));
  const f = 10 ** digits;
  return Math.round(raw * scale * f) / f;
}

function decimalsOf(x: number): number {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}
