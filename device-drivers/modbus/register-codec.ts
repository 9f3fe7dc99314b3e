import type { PointValue } from '../device-state.js';
import type { PointSpec } from '../../config/profile-schema.js';

export type ByteOrder = 'big' | 'little';

/** Registers (16-bit words) or bits, as one block read returned them. */
export type RawWords = ArrayLike<number | boolean>;

/** Decodes the point that starts at `offset` in a block's raw data. */
export type PointDecoder = (raw: RawWords, offset: number) => PointValue;

const swapBytes = (w: number): number => ((w & 0xff) << 8) | (w >> 8);

/**
 * Raw registers (as the wire gives them, one 16-bit word each) → engineering value.
 * Byte order applies inside each register, word order to which register holds the high half:
 * vendors differ on both, and a profile says which it is.
 */
export function decodePoint(spec: PointSpec, words: readonly number[], defaults: { byteOrder: ByteOrder; wordOrder: ByteOrder }): PointValue {
  return compilePointDecoder(spec, defaults)(words, 0);
}

/**
 * The decoder of one point, with its orders, scale, bit names and enum labels resolved once: a
 * poll decodes every point of a device, and looking those up on each one was a measurable share
 * of a loopback poll cycle (see test/bench/device-poll.bench.ts).
 */
export function compilePointDecoder(spec: PointSpec, defaults: { byteOrder: ByteOrder; wordOrder: ByteOrder }): PointDecoder {
  const swap = (spec.byteOrder ?? defaults.byteOrder) === 'little';
  const highFirst = (spec.wordOrder ?? defaults.wordOrder) === 'big';
  const word = (raw: RawWords, i: number): number => {
    const v = raw[i];
    const w = typeof v === 'boolean' ? (v ? 1 : 0) : (v ?? 0) & 0xffff;
    return swap ? swapBytes(w) : w;
  };
  const unsigned32 = (raw: RawWords, o: number): number => {
    const first = word(raw, o);
    const second = word(raw, o + 1);
    return highFirst ? first * 0x10000 + second : second * 0x10000 + first;
  };
  const scale = scaler(spec.scale, spec.type === 'float32' ? 6 : 0);

  switch (spec.type) {
    case 'bool':
      return (raw, o) => word(raw, o) !== 0;
    case 'uint16':
      return (raw, o) => scale(word(raw, o));
    case 'int16':
      return (raw, o) => {
        const w = word(raw, o);
        return scale(w >= 0x8000 ? w - 0x10000 : w);
      };
    case 'uint32':
      return (raw, o) => scale(unsigned32(raw, o));
    case 'int32':
      return (raw, o) => {
        const u = unsigned32(raw, o);
        return scale(u >= 0x80000000 ? u - 0x100000000 : u);
      };
    case 'float32': {
      const view = new DataView(new ArrayBuffer(4));
      return (raw, o) => {
        view.setUint32(0, unsigned32(raw, o));
        return scale(view.getFloat32(0));
      };
    }
    case 'bits': {
      const bits = Object.entries(spec.bits ?? {});
      return (raw, o) => {
        const w = word(raw, o);
        const out: Record<string, boolean> = {};
        for (const [name, bit] of bits) out[name] = ((w >> bit) & 1) === 1;
        return out;
      };
    }
    case 'enum': {
      // A key written "007" never names a register value, as when labels were looked up by String(raw).
      const labels = new Map(Object.entries(spec.values ?? {}).filter(([raw]) => String(Number(raw)) === raw).map(([raw, label]) => [Number(raw), label]));
      return (raw, o) => {
        const w = word(raw, o);
        return labels.get(w) ?? w;
      };
    }
  }
}

/**
 * Scaling by 0.1 in binary floating point gives 23.400000000000002; round to the digits the
 * scale itself carries so published values compare and read as the device meant them.
 */
function scaler(scale: number, minDigits: number): (raw: number) => number {
  if (scale === 1 && minDigits === 0) return (raw) => raw;
  const f = 10 ** Math.max(minDigits, decimalsOf(scale));
  return (raw) => Math.round(raw * scale * f) / f;
}

function decimalsOf(x: number): number {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}
