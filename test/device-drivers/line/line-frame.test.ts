import { describe, it, expect } from 'vitest';
import { DeviceError } from '../../../device-drivers/device-error.js';
import { MAX_FRAME_BYTES, checksum, decodeFrame, encodeFrame } from '../../../device-drivers/line/line-frame.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DeviceError ? err.code : `not a DeviceError: ${String(err)}`;
  }
  return undefined;
}

describe('checksum', () => {
  it('is the XOR of every byte, as two upper-case hex digits', () => {
    // 'A' ^ 'B' = 0x41 ^ 0x42 = 0x03
    expect(checksum('AB')).toBe('03');
    expect(checksum('')).toBe('00');
    expect(checksum('1 PING')).toBe(xor('1 PING'));
    expect(checksum('\u007f')).toBe('7F');
  });
});

function xor(s: string): string {
  let cs = 0;
  for (const c of Buffer.from(s)) cs ^= c;
  return cs.toString(16).toUpperCase().padStart(2, '0');
}

describe('encodeFrame', () => {
  it('writes seq, verb, args, checksum and CRLF', () => {
    expect(encodeFrame(7, 'UNLOCK', [2, 5000])).toBe(`7 UNLOCK 2 5000*${xor('7 UNLOCK 2 5000')}\r\n`);
    expect(encodeFrame(1, 'PING', [])).toBe(`1 PING*${xor('1 PING')}\r\n`);
  });

  it('refuses what the wire cannot carry', () => {
    expect(codeOf(() => encodeFrame(65_536, 'PING', []))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(-1, 'PING', []))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'ping', []))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'LOCK', ['a b']))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'LOCK', ['a*b']))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'LOCK', ['']))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'UNLOCK', [1, 1.5]))).toBe('PROTOCOL');
    expect(codeOf(() => encodeFrame(1, 'X', ['a'.repeat(MAX_FRAME_BYTES)]))).toBe('PROTOCOL');
  });

  it('round-trips through decodeFrame', () => {
    for (const [seq, verb, args] of [
      [0, 'EVT', ['DOOR', '3', 'OPEN']],
      [65_535, 'PONG', ['LK-REF', '1.4.2']],
      [42, 'OK', []],
    ] as const) {
      expect(decodeFrame(encodeFrame(seq, verb, args))).toEqual({ seq, verb, args });
    }
  });
});

describe('decodeFrame', () => {
  const good = (body: string): string => `${body}*${xor(body)}`;

  it('parses a line with or without its terminator', () => {
    expect(decodeFrame(good('12 STATUS 1 LOCKED CLOSED'))).toEqual({ seq: 12, verb: 'STATUS', args: ['1', 'LOCKED', 'CLOSED'] });
    expect(decodeFrame(`${good('0 EVT TAMPER')}\r\n`)).toEqual({ seq: 0, verb: 'EVT', args: ['TAMPER'] });
  });

  it('accepts a lower-case checksum', () => {
    const body = '3 PONG X';
    expect(decodeFrame(`${body}*${xor(body).toLowerCase()}`).verb).toBe('PONG');
  });

  it('throws CHECKSUM for a wrong checksum', () => {
    const body = '5 OK';
    const wrong = (parseInt(xor(body), 16) ^ 0xff).toString(16).toUpperCase().padStart(2, '0');
    expect(codeOf(() => decodeFrame(`${body}*${wrong}`))).toBe('CHECKSUM');
  });

  it('throws PROTOCOL for malformed lines', () => {
    expect(codeOf(() => decodeFrame('5 OK'))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame('5 OK*'))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame('5 OK*GG'))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame('5 OK*123'))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('65536 OK')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('007 OK')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('x OK')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('5')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('5 ok')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('5 OK  1')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('5 OK 1 ')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good('5 OK \u0001')))).toBe('PROTOCOL');
    expect(codeOf(() => decodeFrame(good(''))) ).toBe('PROTOCOL');
  });

  it('throws PROTOCOL for a frame over 256 bytes with its terminator', () => {
    const fits = good(`1 X ${'a'.repeat(MAX_FRAME_BYTES - 2 - '1 X '.length - 3)}`);
    expect(Buffer.byteLength(fits) + 2).toBe(MAX_FRAME_BYTES);
    expect(decodeFrame(fits).verb).toBe('X');
    const over = good(`1 X ${'a'.repeat(MAX_FRAME_BYTES - 2 - '1 X '.length - 2)}`);
    expect(codeOf(() => decodeFrame(over))).toBe('PROTOCOL');
  });
});
