import { USAGE_EXIT_CODE } from '../../config/usage-error.js';

/** Exit codes of the command-line tools (documented in README: "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** A runtime failure: systemd restarts the gateway. */
  FAILURE: 1,
  /** The config (or the command line) is wrong: restarting will not help, a person must fix it. */
  USAGE: USAGE_EXIT_CODE,
} as const;
