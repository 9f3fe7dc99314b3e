import { describe, expect, it } from 'vitest';
import { encodeMbapFrame, splitMbapFrames } from '../../../simulators/modbus/mbap-frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('mbap-frame', () => {
  it('encodes the header with length = unit id + pdu', () => {
    expect(encodeMbapFrame({ transactionId: 0x1234, unitId: 1, pdu: hex('03 02 00 2A') })).toEqual(hex('12 34 00 00 00 05 01 03 02 00 2A'));
  });

  it('splits several frames in one chunk and keeps an incomplete tail', () => {
    const two = Buffer.concat([hex('00 01 00 00 00 06 01 03 00 00 00 04'), hex('00 02 00 00 00 06 02 01 00 00 00 08'), hex('00 03 00 00 00 06 01')]);
    const split = splitMbapFrames(two);
    expect(split.frames).toEqual([
      { transactionId: 1, unitId: 1, pdu: hex('03 00 00 00 04') },
      { transactionId: 2, unitId: 2, pdu: hex('01 00 00 00 08') },
    ]);
    expect(split.rest).toEqual(hex('00 03 00 00 00 06 01'));
    expect(split.error).toBeUndefined();
  });

  it('reassembles a frame split across chunks', () => {
    const first = splitMbapFrames(hex('00 09 00 00'));
    expect(first.frames).toEqual([]);
    const second = splitMbapFrames(Buffer.concat([first.rest, hex('00 06 01 03 00 64 00 0A')]));
    expect(second.frames).toEqual([{ transactionId: 9, unitId: 1, pdu: hex('03 00 64 00 0A') }]);
    expect(second.rest.length).toBe(0);
  });

  it('reports a stream that is not Modbus TCP', () => {
    expect(splitMbapFrames(hex('00 01 00 07 00 06 01 03 00 00 00 01')).error).toMatch(/protocol id/);
    expect(splitMbapFrames(hex('00 01 00 00 01 00 01 03')).error).toMatch(/length/);
    expect(splitMbapFrames(hex('47 45 54 20 2F 20 48 54 54 50')).error).toBeDefined();
  });
});
