/** Modbus TCP application header (Modbus Messaging on TCP/IP v1.0b §3.1.3). */
export interface MbapFrame {
  transactionId: number;
  unitId: number;
  pdu: Buffer;
}

const HEADER = 7;
/** The length field counts the unit id and the PDU; a PDU is at most 253 bytes. */
const MAX_LENGTH = 254;

export function encodeMbapFrame(frame: MbapFrame): Buffer {
  const out = Buffer.alloc(HEADER + frame.pdu.length);
  out.writeUInt16BE(frame.transactionId, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(frame.pdu.length + 1, 4);
  out[6] = frame.unitId;
  frame.pdu.copy(out, HEADER);
  return out;
}

export interface MbapSplit {
  frames: MbapFrame[];
  /** Bytes of an incomplete frame, to prepend to the next chunk. */
  rest: Buffer;
  /** Set when the stream is not Modbus TCP: the connection cannot be resynchronised and is closed. */
  error?: string;
}

/** TCP chunks neither respect frame boundaries nor carry one frame each: split on the length field. */
export function splitMbapFrames(buffer: Buffer): MbapSplit {
  const frames: MbapFrame[] = [];
  let at = 0;
  while (buffer.length - at >= HEADER) {
    const protocolId = buffer.readUInt16BE(at + 2);
    const length = buffer.readUInt16BE(at + 4);
    if (protocolId !== 0) return { frames, rest: Buffer.alloc(0), error: `protocol id ${protocolId} is not Modbus` };
    if (length < 2 || length > MAX_LENGTH) return { frames, rest: Buffer.alloc(0), error: `bad MBAP length ${length}` };
    const end = at + 6 + length;
    if (end > buffer.length) break;
    frames.push({
      transactionId: buffer.readUInt16BE(at),
      unitId: buffer[at + 6] ?? 0,
      pdu: Buffer.from(buffer.subarray(at + HEADER, end)),
    });
    at = end;
  }
  return { frames, rest: Buffer.from(buffer.subarray(at)) };
}
