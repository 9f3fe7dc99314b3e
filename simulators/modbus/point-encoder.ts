import type { PointSpec, Profile } from '../../config/profile-schema.js';

/*
 * Engineering value ⇄ register words for one profile point: the inverse of what a driver decodes.
 * Pure, so a simulator writes exactly the bytes a vendor's device would for the same profile.
 */

/** Numbers for analog points; a bits point may take its flags by name, an enum point its label. */
export type EngineeringValue = number | boolean | string | Readonly<Record<string, boolean>>;

/** The byte and word order a point falls back to when it names none: the profile's. */
export type WireOrder = Pick<Profile, 'byteOrder' | 'wordOrder'>;

const WIDE_TYPES: ReadonlySet<PointSpec['type']> = new Set(['int32', 'uint32', 'float32']);

/** Registers (or bits, for a bool point) the point takes. */
export function pointWidth(point: PointSpec): 1 | 2 {
  return WIDE_TYPES.has(point.type) ? 2 : 1;
}

export function encodePoint(point: PointSpec, value: EngineeringValue, order: WireOrder): number[] {
  const bytes = Buffer.alloc(4);
  switch (point.type) {
    case 'bool':
      return [value === true || (typeof value === 'number' && value !== 0) ? 1 : 0];
    case 'bits':
      return orderBytes([bitsRaw(point, value)], point, order);
    case 'enum':
      return orderBytes([enumRaw(point, value)], point, order);
    case 'int16':
      return orderBytes([integerRaw(point, value, -0x8000, 0x7fff) & 0xffff], point, order);
    case 'uint16':
      return orderBytes([integerRaw(point, value, 0, 0xffff)], point, order);
    case 'int32':
      bytes.writeInt32BE(integerRaw(point, value, -0x80000000, 0x7fffffff));
      break;
    case 'uint32':
      bytes.writeUInt32BE(integerRaw(point, value, 0, 0xffffffff));
      break;
    case 'float32':
      bytes.writeFloatBE(numeric(point, value) / point.scale);
      break;
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
  throw new TypeError(`a ${point.type} point takes a finite number, got ${JSON.stringify(value)}`);
}

function integerRaw(point: PointSpec, value: EngineeringValue, min: number, max: number): number {
  const raw = Math.round(numeric(point, value) / point.scale);
  if (raw < min || raw > max) throw new RangeError(`${String(value)} is outside what a ${point.type} with scale ${point.scale} holds`);
  return raw;
}

function bitsRaw(point: PointSpec, value: EngineeringValue): number {
  if (typeof value !== 'object') return integerRaw({ ...point, scale: 1 }, value, 0, 0xffff);
  let raw = 0;
  for (const [name, on] of Object.entries(value)) {
    const bit = point.bits?.[name];
    if (bit === undefined) throw new RangeError(`no bit named "${name}" in this point`);
    if (on) raw |= 1 << bit;
  }
  return raw;
}

function enumRaw(point: PointSpec, value: EngineeringValue): number {
  if (typeof value !== 'string') return integerRaw({ ...point, scale: 1 }, value, 0, 0xffff);
  const entry = Object.entries(point.values ?? {}).find(([, label]) => label === value);
  if (!entry) throw new RangeError(`no enum value labelled "${value}"`);
  return Number(entry[0]);
}
