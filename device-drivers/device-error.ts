import { ERROR_CATALOGUE, errorCodesIn, type ErrorCodeIn } from '../config/error-catalogue.js';

/**
 * Every failure the device layer reports: the `device` codes of the error catalogue
 * (config/error-catalogue.ts, docs/errors.md). The code is what health counters, logs and command
 * replies key on; the message is for people.
 */
export type DeviceErrorCode = ErrorCodeIn<'device'>;

/** Each device code with its meaning, in the catalogue's order: the order of `health.errors`. */
export const DEVICE_ERROR_CODES = Object.fromEntries(errorCodesIn('device').map((c) => [c, ERROR_CATALOGUE[c].meaning])) as Readonly<Record<DeviceErrorCode, string>>;

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
