import { NO_FAULTS, type TransportFaults } from '../faults/transport-faults.js';
import type { Random } from './seeded-random.js';
import { exceptionPdu, type ExceptionCode } from './modbus-exception.js';
import { handlePdu } from './pdu-handler.js';
import type { RegisterBank } from './register-bank.js';

/** What one unit answers to one request PDU once its faults are applied; undefined is silence. */
export interface UnitAnswer {
  pdu: Buffer;
  /** Extra wait before the answer goes out (the `delay` fault). */
  delayMs: number;
  /** Whole-frame damage the framing applies after encoding (it alone knows where the check is). */
  damage: FrameDamage;
}

export interface FrameDamage {
  corrupt: boolean;
  partial: boolean;
  garbage: boolean;
}

/**
 * The request is carried out even when the answer is lost or damaged, as on hardware: a write
 * that the master saw time out may still have happened, which is exactly what a gateway must
 * survive. An `exception` fault refuses the request instead, so nothing is written.
 */
export function answerRequest(bank: RegisterBank, pdu: Buffer, faults: TransportFaults = NO_FAULTS): UnitAnswer | undefined {
  const response = faults.exception > 0 ? exceptionPdu(pdu[0] ?? 0, faults.exception as ExceptionCode) : handlePdu(bank, pdu);
  if (faults.silent) return undefined;
  return { pdu: response, delayMs: faults.delayMs, damage: { corrupt: faults.corrupt, partial: faults.partial, garbage: faults.garbage } };
}

/** Noise or a cut applied to an encoded frame; `corrupt` is the framing's own business. */
export function damageFrame(frame: Buffer, damage: FrameDamage, random: Random): Buffer {
  if (damage.garbage) return Buffer.from(Array.from(frame, () => Math.floor(random() * 256)));
  if (damage.partial) return Buffer.from(frame.subarray(0, Math.max(1, Math.ceil(frame.length / 2))));
  return frame;
}
