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

function shortestValidFrame(bytes: Buffer): { request: RtuRequest; length: number } | undefined {
  for (let length = MIN_RTU_FRAME; length <= bytes.length; length++) {
    const found = validFrame(bytes, length);
    if (found) return found;
  }
  return undefined;
}
