/*
 * Faults of the wire and the device's interface, the same words for every simulator (specs/devices.md
 * "Faults every simulator can inject"). Each transport applies those that mean something to it:
 * `exception` only to Modbus, `corrupt` is a bad CRC on RTU, a wrong transaction id on Modbus TCP
 * and a bad checksum on the line protocol.
 */

export interface TransportFaults {
  /** Hear requests, answer none (the master times out). */
  silent: boolean;
  /** Answer this many ms late. */
  delayMs: number;
  /** Modbus: answer every request with this exception code (0 = off). */
  exception: number;
  /** Damage the frame's check: bad CRC (RTU), wrong transaction id (TCP), bad checksum (line). */
  corrupt: boolean;
  /** Send only the first part of each answer (a frame cut short, a line with no end). */
  partial: boolean;
  /** Send noise instead of each answer. */
  garbage: boolean;
}

export const NO_FAULTS: Readonly<TransportFaults> = Object.freeze({ silent: false, delayMs: 0, exception: 0, corrupt: false, partial: false, garbage: false });

export const FAULT_NAMES = ['silent', 'delay', 'exception', 'corrupt', 'partial', 'garbage'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Words crews use for the same fault. */
const ALIASES: Record<string, FaultName> = { crc: 'corrupt', checksum: 'corrupt', timeout: 'silent', late: 'delay', noise: 'garbage', truncate: 'partial' };

export function faultName(word: string): FaultName | undefined {
  const w = word.toLowerCase();
  return (FAULT_NAMES as readonly string[]).includes(w) ? (w as FaultName) : ALIASES[w];
}

/** Exception codes a crew may name by number or by name (Modbus Application Protocol §7). */
const EXCEPTION_NAMES: Record<string, number> = {
  'illegal-function': 1,
  'illegal-address': 2,
  'illegal-value': 3,
  'device-failure': 4,
  acknowledge: 5,
  busy: 6,
  'gateway-path': 10,
  'gateway-target': 11,
};

/**
 * Applies `fault <name> [value]` words to `faults`; returns a description or throws a message.
 * Flags take on/off (on if omitted); delay takes ms (0 or off clears); exception a code or name.
 */
export function applyFaultWords(faults: TransportFaults, words: readonly string[], options: { modbus: boolean }): string {
  const [word, value] = words;
  if (word === undefined) throw new Error(`fault needs a name: ${FAULT_NAMES.join(', ')}, clear`);
  if (word === 'clear' || word === 'none') {
    Object.assign(faults, NO_FAULTS);
    return 'faults cleared';
  }
  const name = faultName(word);
  if (!name) throw new Error(`unknown fault "${word}": ${FAULT_NAMES.join(', ')}, clear`);
  switch (name) {
    case 'delay': {
      const ms = value === undefined || value === 'off' ? 0 : parseDurationMs(value);
      faults.delayMs = ms;
      return ms > 0 ? `answers ${ms} ms late` : 'answers on time';
    }
    case 'exception': {
      if (!options.modbus) throw new Error('exception: only Modbus devices answer with exception codes');
      const code = value === undefined ? 4 : value === 'off' ? 0 : (EXCEPTION_NAMES[value] ?? Number(value));
      if (!Number.isInteger(code) || code < 0 || code > 255) throw new Error(`exception code "${value}" is not 1..255 or a name (${Object.keys(EXCEPTION_NAMES).join(', ')})`);
      faults.exception = code;
      return code > 0 ? `answers exception ${code}` : 'answers normally';
    }
    default: {
      const on = onOff(value);
      faults[name] = on;
      return `${name} ${on ? 'on' : 'off'}`;
    }
  }
}

export function onOff(word: string | undefined): boolean {
  if (word === undefined || word === 'on' || word === 'true' || word === '1' || word === 'yes') return true;
  if (word === 'off' || word === 'false' || word === '0' || word === 'no') return false;
  throw new Error(`"${word}" is not on or off`);
}

/** `500`, `500ms`, `2s`, `1.5s`, `2m`: milliseconds. A bare number is milliseconds. */
export function parseDurationMs(text: string, bareUnit: 'ms' | 's' = 'ms'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 500ms, 2s, 1m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000;
  return Math.round(n * factor);
}

export function describeFaults(faults: TransportFaults): string[] {
  const out: string[] = [];
  if (faults.silent) out.push('silent');
  if (faults.delayMs > 0) out.push(`delay ${faults.delayMs}ms`);
  if (faults.exception > 0) out.push(`exception ${faults.exception}`);
  if (faults.corrupt) out.push('corrupt');
  if (faults.partial) out.push('partial');
  if (faults.garbage) out.push('garbage');
  return out;
}
