/** A control command that is not understood, or that the device cannot carry out now. */
export class SimCommandError extends Error {
  override readonly name = 'SimCommandError';
  readonly code = 'SIM_COMMAND';
  constructor(
    message: string,
    /**
     * The control API's status: 404 for an unknown device or path, 403 for a request from a web page
     * (foreign Origin or Host), 415 for a POST that is not JSON, 400 for everything else.
     */
    readonly status: 400 | 403 | 404 | 415 = 400,
  ) {
    super(message);
  }
}
