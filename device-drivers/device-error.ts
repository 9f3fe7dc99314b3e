/**
 * Every failure the device layer reports. The code is what health counters, logs and command
 * replies key on; the message is for people. Catalogue: docs/errors.md.
 */
export const DEVICE_ERROR_CODES = {
  TIMEOUT: 'the device did not answer within the timeout',
  CRC: 'a Modbus frame failed its CRC check',
  CHECKSUM: 'a line-protocol frame failed its checksum',
  EXCEPTION: 'the device answered with a Modbus exception',
  DISCONNECTED: 'the port or TCP link is closed or could not be opened',
  PROTOCOL: 'the device answered something the protocol does not allow',
  REFUSED: 'the device refused the request (an ERR reply)',
  UNSUPPORTED: 'the device lacks the part a command needs (its profile binds no such role)',
  ENCODING: 'a command value does not fit the type, scale or range its profile gives; nothing was written',
} as const;

export type DeviceErrorCode = keyof typeof DEVICE_ERROR_CODES;

export class DeviceError extends Error {
  override readonly name = 'DeviceError';
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
    readonly detail?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps anything a transport library threw onto our codes, so callers branch on one thing. */
export function toDeviceError(err: unknown, fallback: DeviceErrorCode = 'DISCONNECTED'): DeviceError {
  if (err instanceof DeviceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DeviceError(fallback, message, undefined, { cause: err });
}
