import { describe, expect, it } from 'vitest';
import { pointSchema } from '../../../config/profile-schema.js';
import { decodePoint } from '../../../device-drivers/modbus/register-codec.js';

const BIG = { byteOrder: 'big', wordOrder: 'big' } as const;
const point = (p: Record<string, unknown>) => pointSchema.parse({ address: 0, ...p });

describe('decodePoint', () => {
  it('decodes signed and unsigned 16-bit values with scale, rounded to the scale', () => {
    expect(decodePoint(point({ type: 'int16', scale: 0.1 }), [0xff15], BIG)).toBe(-23.5);
    expect(decodePoint(point({ type: 'int16', scale: 0.1 }), [234], BIG)).toBe(23.4);
    expect(decodePoint(point({ type: 'uint16', scale: 0.01 }), [5412], BIG)).toBe(54.12);
    expect(decodePoint(point({ type: 'uint16' }), [0xffff], BIG)).toBe(65535);
  });

  it('honours word order for 32-bit values', () => {
    expect(decodePoint(point({ type: 'uint32' }), [0x0001, 0x0002], BIG)).toBe(0x00010002);
    expect(decodePoint(point({ type: 'uint32', wordOrder: 'little' }), [0x0002, 0x0001], BIG)).toBe(0x00010002);
    expect(decodePoint(point({ type: 'int32' }), [0xffff, 0xfffe], BIG)).toBe(-2);
    expect(decodePoint(point({ type: 'uint32' }), [0xffff, 0xffff], BIG)).toBe(4294967295);
  });

  it('honours byte order inside registers', () => {
    expect(decodePoint(point({ type: 'uint16', byteOrder: 'little' }), [0x3412], BIG)).toBe(0x1234);
    expect(decodePoint(point({ type: 'uint32' }), [0x3412, 0x7856], { byteOrder: 'little', wordOrder: 'little' })).toBe(0x56781234);
  });

  it('decodes float32 in both word orders', () => {
    const buf = Buffer.alloc(4);
    buf.writeFloatBE(12.5);
    const hi = buf.readUInt16BE(0);
    const lo = buf.readUInt16BE(2);
    expect(decodePoint(point({ type: 'float32' }), [hi, lo], BIG)).toBe(12.5);
    expect(decodePoint(point({ type: 'float32', wordOrder: 'little' }), [lo, hi], BIG)).toBe(12.5);
  });

  it('decodes bit fields and enums, passing unknown enum values through as numbers', () => {
    expect(decodePoint(point({ type: 'bits', bits: { a: 0, b: 2 } }), [0b101], BIG)).toEqual({ a: true, b: true });
    expect(decodePoint(point({ type: 'bits', bits: { a: 0, b: 2 } }), [0b010], BIG)).toEqual({ a: false, b: false });
    const e = point({ type: 'enum', values: { '0': 'idle', '1': 'dispensing' } });
    expect(decodePoint(e, [1], BIG)).toBe('dispensing');
    expect(decodePoint(e, [7], BIG)).toBe(7);
  });
});
