import type { TransportFaults } from '../faults/transport-faults.js';
import type { Random } from '../modbus/seeded-random.js';

/*
 * Damage to line-protocol frames, as a bad cable or a confused controller produces it. Pure
 * functions: the fault words choose, the simulators only send what comes out.
 */

/** The frame as the faults make it: bad checksum, cut short with no line end, or replaced by noise. */
export function damageLine(frame: string, faults: Pick<TransportFaults, 'corrupt' | 'partial' | 'garbage'>, random: Random): string {
  if (faults.garbage) return noiseLine(Math.max(8, frame.length - 2), random).toString('latin1');
  let out = faults.corrupt ? corruptChecksum(frame) : frame;
  if (faults.partial) out = out.slice(0, Math.max(1, Math.floor((out.length - 2) / 2)));
  return out;
}

/** Same frame with the checksum off by one bit. */
export function corruptChecksum(frame: string): string {
  const star = frame.lastIndexOf('*');
  if (star < 0) return frame;
  const cs = parseInt(frame.slice(star + 1, star + 3), 16) ^ 0x01;
  return `${frame.slice(0, star + 1)}${cs.toString(16).toUpperCase().padStart(2, '0')}${frame.slice(star + 3)}`;
}

/** `bytes` random bytes, none of them a line end, then `\r\n`: one line of noise a reader must drop. */
export function noiseLine(bytes: number, random: Random): Buffer {
  const out = Buffer.alloc(bytes + 2);
  for (let i = 0; i < bytes; i++) {
    let b = Math.floor(random() * 256);
    if (b === 0x0d || b === 0x0a) b = 0x7f;
    out[i] = b;
  }
  out.write('\r\n', bytes, 'latin1');
  return out;
}
