/** A control command that is not understood, or that the device cannot carry out now. */
export class SimCommandError extends Error {
  override readonly name = 'SimCommandError';
  readonly code = 'SIM_COMMAND';
  constructor(
    message: string,
    /** 404 for an unknown device, 400 for everything else (the control API's status). */
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}
