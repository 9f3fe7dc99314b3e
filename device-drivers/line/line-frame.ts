import { DeviceError } from '../device-error.js';

/*
 * The door lock line protocol (specs/devices.md §1): `<seq> <VERB> [arg ...]*<CS>\r\n`, where CS is
 * the NMEA-style XOR of every byte before the `*`. Pure functions, no I/O.
 */

/** A whole frame on the wire, terminator included, is at most this long (§1). */
export const MAX_FRAME_BYTES = 256;
/** The longest line a splitter may hand to decodeFrame: the frame minus its `\r\n`. */
export const MAX_LINE_BYTES = MAX_FRAME_BYTES - 2;
export const MAX_SEQ = 65_535;

export interface LineFrame {
  /** 1..65535 for requests and their replies, 0 for unsolicited events. */
  seq: number;
  verb: string;
  args: string[];
}

const VERB = /^[A-Z][A-Z0-9_]*$/;
const SEQ = /^(0|[1-9][0-9]{0,4})$/;
// Arguments are single printable ASCII tokens; `*` would end the body early.
const ARG = /^[\x21-\x29\x2B-\x7E]+$/;
const CS = /^[0-9A-Fa-f]{2}$/;

export function checksum(body: string): string {
  let cs = 0;
  for (const byte of Buffer.from(body, 'utf8')) cs ^= byte;
  return cs.toString(16).toUpperCase().padStart(2, '0');
}

export function encodeFrame(seq: number, verb: string, args: readonly (string | number)[] = []): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new DeviceError('PROTOCOL', `cannot encode seq ${seq}: must be an integer 0..${MAX_SEQ}`, { seq });
  }
  if (!VERB.test(verb)) throw new DeviceError('PROTOCOL', `cannot encode verb "${verb}"`, { verb });
  const tokens = args.map((arg) => {
    const text = typeof arg === 'number' ? encodeNumber(arg) : arg;
    if (!ARG.test(text)) throw new DeviceError('PROTOCOL', `cannot encode argument "${text}": one printable token without "*"`, { verb });
    return text;
  });
  const body = [String(seq), verb, ...tokens].join(' ');
  const frame = `${body}*${checksum(body)}\r\n`;
  if (Buffer.byteLength(frame, 'utf8') > MAX_FRAME_BYTES) {
    throw new DeviceError('PROTOCOL', `frame for ${verb} exceeds ${MAX_FRAME_BYTES} bytes`, { verb });
  }
  return frame;
}

function encodeNumber(n: number): string {
  if (!Number.isSafeInteger(n)) throw new DeviceError('PROTOCOL', `cannot encode ${n}: the protocol carries integers only`);
  return String(n);
}

/**
 * Parses one line (terminator optional). Throws DeviceError CHECKSUM when the checksum is wrong and
 * PROTOCOL for everything else malformed, so a reader can count the two apart.
 */
export function decodeFrame(line: string): LineFrame {
  const text = line.replace(/\r?\n$|\r$/, '');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_LINE_BYTES) throw new DeviceError('PROTOCOL', `frame of ${bytes} bytes exceeds ${MAX_FRAME_BYTES} with its terminator`, { bytes });
  const star = text.lastIndexOf('*');
  if (star < 0) throw new DeviceError('PROTOCOL', 'frame has no "*" checksum separator');
  const body = text.slice(0, star);
  const given = text.slice(star + 1);
  if (!CS.test(given)) throw new DeviceError('PROTOCOL', `frame checksum "${given}" is not two hex digits`);
  const expected = checksum(body);
  if (given.toUpperCase() !== expected) {
    throw new DeviceError('CHECKSUM', `frame checksum ${given} does not match ${expected}`, { expected, given });
  }
  const [seqText, verb, ...args] = body.split(' ');
  if (seqText === undefined || !SEQ.test(seqText) || Number(seqText) > MAX_SEQ) {
    throw new DeviceError('PROTOCOL', `frame seq "${seqText ?? ''}" is not 0..${MAX_SEQ}`);
  }
  if (verb === undefined || !VERB.test(verb)) throw new DeviceError('PROTOCOL', `frame verb "${verb ?? ''}" is not an upper-case word`);
  // Empty tokens (double or trailing spaces) and stray bytes mean a garbled line, even with a good checksum.
  if (!args.every((arg) => ARG.test(arg))) throw new DeviceError('PROTOCOL', `frame ${verb} has a malformed argument`);
  return { seq: Number(seqText), verb, args };
}
