import { describe, expect, it } from 'vitest';
import { crc16 } from '../../../simulators/modbus/crc16.js';
import { decodeRtuFrame, encodeRtuFrame, rtuRequestLength } from '../../../simulators/modbus/rtu-frame.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('crc16', () => {
  it.each([
    ['01 03 00 00 00 0A', 'C5 CD'],
    ['01 03 00 00 00 01', '84 0A'],
    // Modbus over Serial Line v1.02 example: read 3 holding registers from 0x6B of slave 0x11.
    ['11 03 00 6B 00 03', '76 87'],
  ])('%s → %s on the wire (low byte first)', (body, wire) => {
    const crc = crc16(hex(body));
    expect(Buffer.from([crc & 0xff, crc >> 8])).toEqual(hex(wire));
  });

  it('is 0xFFFF for no data', () => {
    expect(crc16(new Uint8Array())).toBe(0xffff);
  });
});

describe('rtu-frame', () => {
  it('encodes unit + pdu + CRC', () => {
    expect(encodeRtuFrame(1, hex('03 00 00 00 0A'))).toEqual(hex('01 03 00 00 00 0A C5 CD'));
  });

  it('decodes a good frame', () => {
    const decoded = decodeRtuFrame(hex('11 03 00 6B 00 03 76 87'));
    expect(decoded).toEqual({ ok: true, unitId: 0x11, pdu: hex('03 00 6B 00 03') });
  });

  it('rejects a bad CRC and a runt', () => {
    expect(decodeRtuFrame(hex('11 03 00 6B 00 03 76 88'))).toEqual({ ok: false, reason: 'crc' });
    expect(decodeRtuFrame(hex('11 03 00 6B 00 03 87 76'))).toEqual({ ok: false, reason: 'crc' });
    expect(decodeRtuFrame(hex('11 03 00'))).toEqual({ ok: false, reason: 'short' });
  });

  it('round-trips', () => {
    const pdu = hex('10 00 14 00 02 04 12 34 56 78');
    const decoded = decodeRtuFrame(encodeRtuFrame(7, pdu));
    expect(decoded).toEqual({ ok: true, unitId: 7, pdu });
  });

  it('tells a request frame length from its function code', () => {
    expect(rtuRequestLength(hex('01'))).toBe('more');
    expect(rtuRequestLength(hex('01 03'))).toBe(8);
    expect(rtuRequestLength(hex('01 05 00'))).toBe(8);
    expect(rtuRequestLength(hex('01 10 00 14 00 02'))).toBe('more');
    expect(rtuRequestLength(hex('01 10 00 14 00 02 04'))).toBe(13);
    expect(rtuRequestLength(hex('01 0F 00 00 00 0A 02'))).toBe(11);
    expect(rtuRequestLength(hex('01 2B 0E 01 00'))).toBe('unknown');
  });
});
