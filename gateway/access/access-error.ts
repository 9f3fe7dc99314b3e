import { CommandError } from '../../cloud-bridge/command-handler.js';
import type { CommandErrorCode } from '../../cloud-bridge/contract-schemas.js';

/**
 * A refusal by the access logic, with the contract's code. It is a CommandError, so the cloud
 * bridge replies with it as it is; the scanner path logs it as `access.denied` the same way.
 */
export class AccessDenied extends CommandError {
  constructor(code: CommandErrorCode, message: string) {
    super(code, message);
    this.name = 'AccessDenied';
  }
}

/**
 * A refusal decided before any signature verified (not a token, another algorithm, an unknown
 * key, a signature that does not verify): anyone can make these for free, so they are counted
 * and dropped apart from the budgets of verified attempts, and never logged one by one.
 */
export class UnverifiedToken extends AccessDenied {
  constructor(code: 'BAD_TOKEN' | 'UNKNOWN_KEY', message: string) {
    super(code, message);
    this.name = 'UnverifiedToken';
  }
}
