import type { ErrorCode } from '../../config/error-catalogue.js';

/** The codes an update is refused, stopped or undone with (config/error-catalogue.ts). */
export type UpdateCode = Extract<ErrorCode, `UPDATE_${string}`>;

/**
 * A software update refused or stopped at one of its steps. `problems` are lines for the report's
 * `problems` (the message alone when there is nothing more to list).
 */
export class UpdateError extends Error {
  override readonly name = 'UpdateError';
  readonly problems: string[];
  constructor(
    readonly code: UpdateCode,
    message: string,
    problems?: string[],
  ) {
    super(message);
    this.problems = problems ?? [message];
  }
}
