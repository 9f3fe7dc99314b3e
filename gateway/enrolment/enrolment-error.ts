import type { ErrorCodeIn } from '../../config/error-catalogue.js';

export type EnrolmentErrorCode = ErrorCodeIn<'enrolment'>;

/**
 * Why an enrolment or a renewal did not happen, with its catalogue code: raised by the box and by
 * the service alike, and sent by the service as the reply's `error` (so the box prints the same
 * code the service logged).
 */
export class EnrolmentError extends Error {
  override readonly name = 'EnrolmentError';
  constructor(
    readonly code: EnrolmentErrorCode,
    message: string,
  ) {
    super(message);
  }
}
