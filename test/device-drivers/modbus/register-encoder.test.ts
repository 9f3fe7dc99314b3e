import { describe, expect, it } from 'vitest';
import type { PointSpec } from '../../../config/profile-schema.js';
import { decodePoint } from '../../../device-drivers/modbus/register-codec.js';
import { EncodingError, encodePoint, pointWidth, type WireOrder } from '../../../device-drivers/modbus/register-encoder.js';

const BIG: WireOrder = { byteOrder: 'big', wordOrder: 'big' };
const point = (p: Partial<PointSpec> & Pick<PointSpec, 'type'>): PointSpec => ({ table: 'holding', address: 0, scale: 1, writable: false, ...p });

describe('encodePoint', () => {
  it('puts the high word first with word order big, last with little', () => {
    const p = point({ type: 'uint32' });
    expect(encodePoint(p, 0x12345678, BIG)).toEqual([0x1234, 0x5678]);
    expect(encodePoint(p, 0x12345678, { byteOrder: 'big', wordOrder: 'little' })).toEqual([0x5678, 0x1234]);
    expect(encodePoint({ ...p, wordOrder: 'little' }, 0x12345678, BIG)).toEqual([0x5678, 0x1234]);
  });

  it('swaps the bytes inside each register with byte order little', () => {
    expect(encodePoint(point({ type: 'uint16' }), 0x1234, { byteOrder: 'little', wordOrder: 'big' })).toEqual([0x3412]);
    expect(encodePoint(point({ type: 'uint32', byteOrder: 'little' }), 0x12345678, BIG)).toEqual([0x3412, 0x7856]);
  });

  it('scales and rounds: engineering value = raw × scale', () => {
    expect(encodePoint(point({ type: 'uint16', scale: 0.01 }), 54.07, BIG)).toEqual([5407]);
    expect(encodePoint(point({ type: 'int16', scale: 0.1 }), -12.3, BIG)).toEqual([0x10000 - 123]);
    expect(encodePoint(point({ type: 'int32', scale: 0.001 }), -1.5, BIG)).toEqual([0xffff, 0x10000 - 1500]);
  });

  it('encodes float32 as IEEE 754', () => {
    expect(encodePoint(point({ type: 'float32' }), 1, BIG)).toEqual([0x3f80, 0x0000]);
    expect(encodePoint(point({ type: 'float32' }), -2.5, { byteOrder: 'big', wordOrder: 'little' })).toEqual([0x0000, 0xc020]);
  });

  it('takes bits by name and enums by label or raw value', () => {
    const status = point({ type: 'bits', bits: { mainsOk: 0, smoke: 2 } });
    expect(encodePoint(status, { mainsOk: true, smoke: true }, BIG)).toEqual([0b101]);
    expect(encodePoint(status, 0b100, BIG)).toEqual([0b100]);
    expect(() => encodePoint(status, { nope: true }, BIG)).toThrow(RangeError);
    const state = point({ type: 'enum', values: { '0': 'empty', '2': 'ready' } });
    expect(encodePoint(state, 'ready', BIG)).toEqual([2]);
    expect(encodePoint(state, 0, BIG)).toEqual([0]);
    expect(() => encodePoint(state, 'gone', BIG)).toThrow(RangeError);
  });

  it('refuses values the type cannot hold rather than wrapping them', () => {
    expect(() => encodePoint(point({ type: 'uint16' }), 65536, BIG)).toThrow(RangeError);
    expect(() => encodePoint(point({ type: 'uint16' }), -1, BIG)).toThrow(RangeError);
    expect(() => encodePoint(point({ type: 'int16', scale: 0.1 }), 3276.8, BIG)).toThrow(RangeError);
    expect(() => encodePoint(point({ type: 'uint32' }), 2 ** 32, BIG)).toThrow(RangeError);
    expect(() => encodePoint(point({ type: 'int16' }), Number.NaN, BIG)).toThrow(EncodingError);
  });

  it('gives a coil or discrete point one bit', () => {
    const door = point({ table: 'discrete', type: 'bool' });
    expect(encodePoint(door, true, BIG)).toEqual([1]);
    expect(encodePoint(door, 0, BIG)).toEqual([0]);
    expect(pointWidth(door)).toBe(1);
  });
});

describe('decodePoint inverts encodePoint', () => {
  const orders: WireOrder[] = [
    { byteOrder: 'big', wordOrder: 'big' },
    { byteOrder: 'big', wordOrder: 'little' },
    { byteOrder: 'little', wordOrder: 'big' },
    { byteOrder: 'little', wordOrder: 'little' },
  ];
  const cases: Array<[PointSpec, number[]]> = [
    [point({ type: 'int16' }), [-32768, -1, 0, 1, 32767]],
    [point({ type: 'uint16' }), [0, 1, 0xabcd, 65535]],
    [point({ type: 'int16', scale: 0.1 }), [-40.5, 0, 25.3, 59.9]],
    [point({ type: 'uint16', scale: 0.01 }), [0, 48.12, 54.6, 655.35]],
    [point({ type: 'int32' }), [-2147483648, -70000, 0, 70000, 2147483647]],
    [point({ type: 'int32', scale: 0.001 }), [-12.345, 0, 98765.432]],
    [point({ type: 'uint32' }), [0, 65536, 0x12345678, 4294967295]],
    [point({ type: 'uint32', scale: 0.25 }), [0.25, 1000.75]],
    [point({ type: 'float32' }), [0, -2.5, 1.5e-3, 3.4e38, 90.125]],
  ];

  for (const order of orders) {
    for (const [p, values] of cases) {
      it(`${p.type} scale ${p.scale}, bytes ${order.byteOrder}, words ${order.wordOrder}`, () => {
        for (const value of values) {
          const words = encodePoint(p, value, order);
          expect(words).toHaveLength(pointWidth(p));
          const back = decodePoint(p, words, order);
          if (p.type === 'float32') expect(back).toBeCloseTo(Math.fround(value), 5);
          else expect(back).toBe(value);
        }
      });
    }
  }

  it('decodes bits to named flags and enums to labels', () => {
    const status = point({ type: 'bits', bits: { mainsOk: 0, smoke: 2 } });
    expect(decodePoint(status, [0b001], BIG)).toEqual({ mainsOk: true, smoke: false });
    const state = point({ type: 'enum', values: { '0': 'empty', '2': 'ready' } });
    expect(decodePoint(state, encodePoint(state, 'ready', BIG), BIG)).toBe('ready');
    expect(decodePoint(state, [9], BIG)).toBe(9);
  });
});

describe('encodePoint for commands (exact)', () => {
  it('refuses a value that is not a whole number of raw units, where a simulator would round', () => {
    expect(encodePoint(point({ type: 'int16' }), 1.5, BIG)).toEqual([2]);
    expect(() => encodePoint(point({ type: 'int16' }), 1.5, BIG, { exact: true })).toThrow(EncodingError);
    expect(() => encodePoint(point({ type: 'uint32', scale: 0.1 }), 1.25, BIG, { exact: true })).toThrow(/whole number/);
    // A decimal scale's binary error is not a fraction of a unit.
    expect(encodePoint(point({ type: 'uint16', scale: 0.1 }), 23.4, BIG, { exact: true })).toEqual([234]);
    expect(encodePoint(point({ type: 'int32', scale: 0.01 }), -123.45, BIG, { exact: true })).toEqual([0xffff, 0xcfc7]);
  });

  it('refuses a float32 past its range instead of writing Infinity', () => {
    expect(() => encodePoint(point({ type: 'float32' }), 1e39, BIG)).toThrow(EncodingError);
    expect(() => encodePoint(point({ type: 'float32', scale: 1e-30 }), 1e9, BIG)).toThrow(EncodingError);
    expect(encodePoint(point({ type: 'float32' }), 3.4e38, BIG)).toHaveLength(2);
  });
});
