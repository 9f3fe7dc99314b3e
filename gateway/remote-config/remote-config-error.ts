import type { ErrorCode } from '../../config/error-catalogue.js';

/** The codes a remote configuration can be refused or undone with (config/error-catalogue.ts). */
export type RemoteConfigCode = Extract<
  ErrorCode,
  | 'CONFIG_DOCUMENT_MALFORMED'
  | 'CONFIG_DOCUMENT_TOO_LARGE'
  | 'CONFIG_UNKNOWN_KEY'
  | 'CONFIG_BAD_SIGNATURE'
  | 'CONFIG_WRONG_STATION'
  | 'CONFIG_REVISION_NOT_NEWER'
  | 'CONFIG_PATH_UNSAFE'
  | 'CONFIG_DRIFT'
  | 'CONFIG_STORE_DAMAGED'
>;

/**
 * A configuration document refused, or the revision store unreadable. `problems` are lines for
 * the report's `problems` (the message alone when there is nothing more to list).
 */
export class RemoteConfigError extends Error {
  override readonly name = 'RemoteConfigError';
  readonly problems: string[];
  constructor(
    readonly code: RemoteConfigCode,
    message: string,
    problems?: string[],
  ) {
    super(message);
    this.problems = problems ?? [message];
  }
}
