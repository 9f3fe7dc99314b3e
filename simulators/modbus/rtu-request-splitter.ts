import { crc16 } from './crc16.js';
import { decodeRtuFrame, MIN_RTU_FRAME, rtuRequestLength } from './rtu-frame.js';

export interface RtuRequest {
  unitId: number;
  pdu: Buffer;
}

export interface RtuSplit {
  requests: RtuRequest[];
  /** Bytes that may still become a frame when more arrive. */
  rest: Buffer;
  /** Bytes thrown away because no good CRC covered them (damaged frames, noise). */
  dropped: number;
}

/**
 * Cuts request frames out of an RTU byte stream carried over TCP. On a serial line a slave finds
 * frames by silence; through a converter the silences are gone, so the end of a frame is the
 * length its function code implies, or for a function we do not know the shortest prefix whose
 * CRC holds. Where the CRC fails the splitter slides one byte and looks again: a damaged frame is
 * never acted on, and a good frame right behind it in the same chunk is still found.
 */
export function splitRtuRequests(buffer: Buffer): RtuSplit {
  const requests: RtuRequest[] = [];
  let at = 0;
  let dropped = 0;
  while (at < buffer.length) {
    const rest = buffer.subarray(at);
    const length = rtuRequestLength(rest);
    if (length === 'more' || (typeof length === 'number' && rest.length < length)) break;
    const found = length === 'unknown' ? shortestValidFrame(rest) : validFrame(rest, length);
    if (!found) {
      at++;
      dropped++;
      continue;
    }
    requests.push(found.request);
    at += found.length;
  }
  return { requests, rest: Buffer.from(buffer.subarray(at)), dropped };
}

function validFrame(bytes: Buffer, length: number): { request: RtuRequest; length: number } | undefined {
  const decoded = decodeRtuFrame(bytes.subarray(0, length));
  return decoded.ok ? { request: { unitId: decoded.unitId, pdu: decoded.pdu }, length } : undefined;
}

/** An RTU frame is at most 256 bytes (Modbus over Serial Line v1.02 §2.5.1.1). */
const MAX_RTU_FRAME = 256;

function shortestValidFrame(bytes: Buffer): { request: RtuRequest; length: number } | undefined {
  // One CRC pass over at most a frame's worth, checked at each length on the way: a fresh CRC for
  // every length up to the whole buffer was cubic in the noise a master sent (seconds for 1 KiB).
  const limit = Math.min(bytes.length, MAX_RTU_FRAME);
  let crc = crc16(bytes.subarray(0, MIN_RTU_FRAME - 2));
  for (let length = MIN_RTU_FRAME; length <= limit; length++) {
    if (crc === bytes.readUInt16LE(length - 2)) return validFrame(bytes, length);
    crc = crc16(bytes.subarray(length - 2, length - 1), crc);
  }
  return undefined;
}
