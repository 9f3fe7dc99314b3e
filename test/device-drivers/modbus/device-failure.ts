import { DeviceError } from '../../../device-drivers/device-error.js';

/** The DeviceError a bus transaction rejected with; anything else (or a success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<DeviceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DeviceError)) throw new Error(`expected a DeviceError, got ${String(err)}`);
  return err;
}
