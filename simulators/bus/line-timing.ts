/*
 * Serial line timing (Modbus over Serial Line v1.02 §2.5.1.1). A character on the wire is a start
 * bit, 8 data bits, a parity bit or a second stop bit, and a stop bit: 11 bits, which is what the
 * Modbus RTU spec requires. Line-protocol devices run 8N1, 10 bits. The 3.5-character silence that
 * ends an RTU frame is fixed at 1.75 ms above 19200 baud, where the spec stops scaling it.
 */

export interface LineTiming {
  baudRate: number;
  /** Bits per character on the wire: 11 for Modbus RTU (8E1, 8O1 or 8N2), 10 for 8N1. */
  bitsPerChar: number;
  /** How long the device thinks before it starts to answer (after the request's t3.5). */
  responseDelayMs: number;
}

export const MODBUS_RTU_BITS_PER_CHAR = 11;
export const LINE_8N1_BITS_PER_CHAR = 10;
const FIXED_T35_ABOVE_BAUD = 19_200;
const FIXED_T35_MS = 1.75;

export function characterTimeMs(timing: Pick<LineTiming, 'baudRate' | 'bitsPerChar'>): number {
  return (1000 * timing.bitsPerChar) / timing.baudRate;
}

/** t3.5: the silence that ends a frame. */
export function frameSilenceMs(timing: Pick<LineTiming, 'baudRate' | 'bitsPerChar'>): number {
  return timing.baudRate > FIXED_T35_ABOVE_BAUD ? FIXED_T35_MS : 3.5 * characterTimeMs(timing);
}

/** How long `bytes` take on the wire, first start bit to last stop bit. */
export function transmissionMs(bytes: number, timing: Pick<LineTiming, 'baudRate' | 'bitsPerChar'>): number {
  return bytes * characterTimeMs(timing);
}

/** An RTU line keeps t3.5 of silence after every frame; without timing there is no line to keep. */
export function rtuWire(timing: LineTiming | undefined): { frameGapMs: number } {
  return { frameGapMs: timing ? frameSilenceMs(timing) : 0 };
}

export function checkLineTiming(timing: LineTiming): LineTiming {
  if (!(Number.isFinite(timing.baudRate) && timing.baudRate >= 50 && timing.baudRate <= 4_000_000)) throw new RangeError(`baud rate ${timing.baudRate} is not 50..4000000`);
  if (!(timing.bitsPerChar >= 7 && timing.bitsPerChar <= 12)) throw new RangeError(`bits per character ${timing.bitsPerChar} is not 7..12`);
  if (!(timing.responseDelayMs >= 0 && timing.responseDelayMs <= 60_000)) throw new RangeError(`response delay ${timing.responseDelayMs} ms is not 0..60000`);
  return timing;
}
