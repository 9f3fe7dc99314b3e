/*
 * Failures the console finds itself, before or instead of a station's reply: they are shown in
 * words beside the station's codes (i18n/reply-text.ts), and are never on the wire.
 */
export const LOCAL_FAILURES = ['NOT_CONNECTED', 'TIMEOUT', 'NO_PASS', 'SIGN_FAILED', 'BAD_REPLY'] as const;
export type LocalFailureCode = (typeof LOCAL_FAILURES)[number];

export class LocalFailure extends Error {
  constructor(
    readonly code: LocalFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'LocalFailure';
  }
}
