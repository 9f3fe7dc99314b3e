import { USAGE_EXIT_CODE } from '../../config/usage-error.js';

/** Exit codes of the command-line tools (documented in README: "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** A runtime failure: systemd restarts the gateway. */
  FAILURE: 1,
  /** The config (or the command line) is wrong: restarting will not help, a person must fix it. */
  USAGE: USAGE_EXIT_CODE,
  /**
   * The gateway switched `current` to a new release and stopped to be started in it: the launcher
   * starts it again at once (EX_TEMPFAIL of sysexits.h, a status nothing else here uses).
   */
  RESTART: 75,
} as const;
