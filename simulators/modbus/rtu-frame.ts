import { crc16 } from './crc16.js';

/** An RTU ADU is unit id + PDU + CRC: with a one-byte PDU, 4 bytes is the shortest possible. */
export const MIN_RTU_FRAME = 4;

export function encodeRtuFrame(unitId: number, pdu: Uint8Array): Buffer {
  const frame = Buffer.alloc(pdu.length + 3);
  frame[0] = unitId;
  frame.set(pdu, 1);
  frame.writeUInt16LE(crc16(frame.subarray(0, pdu.length + 1)), pdu.length + 1);
  return frame;
}

export type DecodedRtuFrame =
  | { ok: true; unitId: number; pdu: Buffer }
  | { ok: false; reason: 'short' | 'crc' };

/** A frame whose CRC does not match is rejected whole: a slave must not act on a damaged request. */
export function decodeRtuFrame(frame: Buffer): DecodedRtuFrame {
  if (frame.length < MIN_RTU_FRAME) return { ok: false, reason: 'short' };
  const body = frame.subarray(0, frame.length - 2);
  if (crc16(body) !== frame.readUInt16LE(frame.length - 2)) return { ok: false, reason: 'crc' };
  return { ok: true, unitId: body[0] ?? 0, pdu: Buffer.from(body.subarray(1)) };
}

/**
 * How long the request frame that starts `head` is. RTU has no length field: a serial slave finds
 * the end by 3.5 character times of silence, which a TCP byte stream does not keep, so the length
 * is read from the function code as most RTU-over-TCP slaves do.
 * 'more': not enough bytes yet to tell; 'unknown': a function code whose layout we do not know.
 */
export function rtuRequestLength(head: Buffer): number | 'more' | 'unknown' {
  if (head.length < 2) return 'more';
  const functionCode = head[1] ?? 0;
  if (functionCode >= 1 && functionCode <= 6) return 8;
  if (functionCode === 15 || functionCode === 16) {
    const byteCount = head[6];
    return byteCount === undefined ? 'more' : 9 + byteCount;
  }
  return 'unknown';
}
