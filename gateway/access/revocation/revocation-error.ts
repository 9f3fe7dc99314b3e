import type { ErrorCode } from '../../../config/error-catalogue.js';

/** The codes a revocation list can be refused with, or the kept one found unusable (config/error-catalogue.ts). */
export type RevocationCode = Extract<
  ErrorCode,
  'REVOCATION_MALFORMED' | 'REVOCATION_TOO_LARGE' | 'REVOCATION_UNKNOWN_KEY' | 'REVOCATION_BAD_SIGNATURE' | 'REVOCATION_NOT_NEWER' | 'REVOCATION_FILE_DAMAGED' | 'REVOCATION_NOT_SAVED'
>;

/** A revocation list refused (the list in use stays), or the one kept on disk unusable. */
export class RevocationError extends Error {
  override readonly name = 'RevocationError';
  constructor(
    readonly code: RevocationCode,
    message: string,
  ) {
    super(message);
  }
}
