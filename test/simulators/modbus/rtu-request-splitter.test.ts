import { describe, expect, it } from 'vitest';
import { encodeRtuFrame } from '../../../simulators/modbus/rtu-frame.js';
import { splitRtuRequests } from '../../../simulators/modbus/rtu-request-splitter.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const read = encodeRtuFrame(1, hex('03 0000 0004'));
const write = encodeRtuFrame(2, hex('10 0014 0001 02 03E8'));
const damaged = Buffer.from(read.map((b, i) => (i === read.length - 1 ? b ^ 0xff : b)));

describe('splitRtuRequests', () => {
  it('cuts back-to-back requests of fixed and counted length', () => {
    const split = splitRtuRequests(Buffer.concat([read, write]));
    expect(split.requests).toEqual([
      { unitId: 1, pdu: hex('03 0000 0004') },
      { unitId: 2, pdu: hex('10 0014 0001 02 03E8') },
    ]);
    expect(split.rest.length).toBe(0);
    expect(split.dropped).toBe(0);
  });

  it('keeps a partial frame for the next chunk', () => {
    const first = splitRtuRequests(write.subarray(0, 5));
    expect(first.requests).toEqual([]);
    const second = splitRtuRequests(Buffer.concat([first.rest, write.subarray(5)]));
    expect(second.requests).toEqual([{ unitId: 2, pdu: hex('10 0014 0001 02 03E8') }]);
  });

  it('never passes on a frame with a bad CRC, and finds the good frame behind it', () => {
    const split = splitRtuRequests(Buffer.concat([damaged, read]));
    expect(split.requests).toEqual([{ unitId: 1, pdu: hex('03 0000 0004') }]);
    expect(split.dropped).toBe(damaged.length);
  });

  it('finds the end of a function it does not know by its CRC', () => {
    const deviceId = encodeRtuFrame(1, hex('2B 0E 01 00'));
    const split = splitRtuRequests(Buffer.concat([deviceId, read]));
    expect(split.requests.map((r) => r.pdu)).toEqual([hex('2B 0E 01 00'), hex('03 0000 0004')]);
  });
});
