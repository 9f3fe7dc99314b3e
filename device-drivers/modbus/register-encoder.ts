import type { PointSpec, Profile } from '../../config/profile-schema.js';

/*
 * Engineering value → register words for one profile point: the inverse of register-codec's
 * decodePoint. Pure, and the only encoder: the driver writes commands with it, and a simulator
 * writes exactly the bytes a vendor's device would for the same profile.
 */

/** Numbers for analog points; a bits point may take its flags by name, an enum point its label. */
export type EngineeringValue = number | boolean | string | Readonly<Record<string, boolean>>;

/** The byte and word order a point falls back to when it names none: the profile's. */
export type WireOrder = Pick<Profile, 'byteOrder' | 'wordOrder'>;

export interface EncodeOptions {
  /**
   * Refuse a value that is not a whole number of raw units (0.5 into an int16 of scale 1) instead
   * of rounding it. A simulator rounds as a device's own converter does; a command must not
   * write something other than what was asked.
   */
  exact?: boolean;
}

/** A value the point's type, scale or range cannot hold; the message says why. */
export class EncodingError extends RangeError {
  override readonly name = 'EncodingError';
}

const WIDE_TYPES: ReadonlySet<PointSpec['type']> = new Set(['int32', 'uint32', 'float32']);
const FLOAT32_MAX = 3.4028234663852886e38;

/** Registers (or bits, for a bool point) the point takes. */
export function pointWidth(point: PointSpec): 1 | 2 {
  return WIDE_TYPES.has(point.type) ? 2 : 1;
}

export function encodePoint(point: PointSpec, value: EngineeringValue, order: WireOrder, options: EncodeOptions = {}): number[] {
  const bytes = Buffer.alloc(4);
  const exact = options.exact === true;
  switch (point.type) {
    case 'bool':
      return [value === true || (typeof value === 'number' && value !== 0) ? 1 : 0];
    case 'bits':
      return orderBytes([bitsRaw(point, value)], point, order);
    case 'enum':
      return orderBytes([enumRaw(point, value)], point, order);
    case 'int16':
      return orderBytes([integerRaw(point, value, -0x8000, 0x7fff, exact) & 0xffff], point, order);
    case 'uint16':
      return orderBytes([integerRaw(point, value, 0, 0xffff, exact)], point, order);
    case 'int32':
      bytes.writeInt32BE(integerRaw(point, value, -0x80000000, 0x7fffffff, exact));
      break;
    case 'uint32':
      bytes.writeUInt32BE(integerRaw(point, value, 0, 0xffffffff, exact));
      break;
    case 'float32': {
      const raw = numeric(point, value) / point.scale;
      // Past float32's range the bytes would say Infinity: a different value than asked for.
      if (!(Math.abs(raw) <= FLOAT32_MAX)) throw new EncodingError(`${String(value)} is outside what a float32 with scale ${point.scale} holds`);
      bytes.writeFloatBE(raw);
      break;
    }
  }
  const words = [bytes.readUInt16BE(0), bytes.readUInt16BE(2)];
  if ((point.wordOrder ?? order.wordOrder) === 'little') words.reverse();
  return orderBytes(words, point, order);
}

function orderBytes(words: number[], point: PointSpec, order: WireOrder): number[] {
  if ((point.byteOrder ?? order.byteOrder) === 'big') return words;
  return words.map((w) => ((w & 0xff) << 8) | (w >> 8));
}

function numeric(point: PointSpec, value: EngineeringValue): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new EncodingError(`a ${point.type} point takes a finite number, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
}

function integerRaw(point: PointSpec, value: EngineeringValue, min: number, max: number, exact: boolean): number {
  const unrounded = numeric(point, value) / point.scale;
  const raw = Math.round(unrounded);
  // 23.4 / 0.1 is 233.99999999999997: a decimal scale's binary error is not a fractional unit.
  if (exact && Math.abs(unrounded - raw) > 1e-9 * Math.max(1, Math.abs(raw))) {
    throw new EncodingError(`${String(value)} is not a whole number of raw units of a ${point.type} with scale ${point.scale} (raw ${unrounded})`);
  }
  if (raw < min || raw > max) throw new EncodingError(`${String(value)} is outside what a ${point.type} with scale ${point.scale} holds (raw ${min}..${max})`);
  return raw;
}

function bitsRaw(point: PointSpec, value: EngineeringValue): number {
  if (typeof value !== 'object') return integerRaw({ ...point, scale: 1 }, value, 0, 0xffff, false);
  let raw = 0;
  for (const [name, on] of Object.entries(value)) {
    const bit = point.bits?.[name];
    if (bit === undefined) throw new EncodingError(`no bit named "${name}" in this point`);
    if (on) raw |= 1 << bit;
  }
  return raw;
}

function enumRaw(point: PointSpec, value: EngineeringValue): number {
  if (typeof value !== 'string') return integerRaw({ ...point, scale: 1 }, value, 0, 0xffff, false);
  const entry = Object.entries(point.values ?? {}).find(([, label]) => label === value);
  if (!entry) throw new EncodingError(`no enum value labelled "${value}"`);
  return Number(entry[0]);
}
