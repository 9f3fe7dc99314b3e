/**
 * How long a probe of a silent unit waits. A try with the device's full timeout holds a shared
 * line for all of it whenever the unit is still gone (500 ms against a 1 s poll: a third of the
 * line per silent unit); the probe asks for one register or bit and waits for what such an answer
 * takes: its frames at the line's speed plus the unit's turnaround as seen while it answered, with
 * room for a loaded box's timers, never more than the full timeout.
 */

/** Added to twice the unit's high turnaround at the least: timers on a busy box run late by tens of ms. */
export const PROBE_MIN_WAIT_MS = 30;

/** Function codes the bus sends and what their request and answer carry, for frame sizes. */
export type RequestShape =
  | { kind: 'read-registers'; count: number }
  | { kind: 'read-bits'; count: number }
  | { kind: 'write-single' }
  | { kind: 'write-registers'; count: number };

/**
 * Characters on the wire for one transaction of an RTU line: request and answer frames, each
 * followed by the 3.5-character silence that ends it. Answers of a read: unit, function, byte
 * count, data, CRC; writes echo 8 bytes.
 */
export function rtuTransactionChars(shape: RequestShape): number {
  const silences = 7;
  switch (shape.kind) {
    case 'read-registers':
      return 8 + 5 + 2 * shape.count + silences;
    case 'read-bits':
      return 8 + 5 + Math.ceil(shape.count / 8) + silences;
    case 'write-single':
      return 8 + 8 + silences;
    case 'write-registers':
      return 9 + 2 * shape.count + 8 + silences;
  }
}

/** A serial line's character format, as a `modbus-rtu` endpoint names it. */
export interface SerialFormat {
  baudRate: number;
  dataBits: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: number;
}

/**
 * Milliseconds one character takes on a serial line: start bit, data, parity, stop. 0 where the
 * gateway cannot know the line's speed (TCP, or RTU behind a converter): there the measured
 * turnaround holds the serial side as well.
 */
export function charMs(line: SerialFormat | undefined): number {
  if (!line) return 0;
  const bits = 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
  return (bits * 1000) / line.baudRate;
}

/**
 * The probe's timeout: its frames' time plus the larger of PROBE_MIN_WAIT_MS and twice the
 * unit's high turnaround, capped at the full timeout. Undefined when the unit never answered:
 * nothing tells how soon it would, so it keeps the full timeout and its backoff.
 */
export function probeTimeoutMs(options: { frameMs: number; turnaroundMs: number | undefined; timeoutMs: number }): number | undefined {
  if (options.turnaroundMs === undefined) return undefined;
  const wait = options.frameMs + Math.max(PROBE_MIN_WAIT_MS, 2 * options.turnaroundMs);
  return Math.min(options.timeoutMs, Math.ceil(wait));
}
