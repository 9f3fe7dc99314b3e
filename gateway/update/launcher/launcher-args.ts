import { integerOption, parseCommandLine, UsageError } from '../../../config/usage-error.js';

/** gateway/cli/exit-codes.ts EXIT.RESTART; the launcher cannot import gateway/cli (test/update/launcher-process.test.ts checks they agree). */
export const RESTART_EXIT = 75;
const KILL_AFTER_MS = 10_000;

export const LAUNCHER_USAGE = `usage: station-launcher --root <app root> [--supervise] [--max-trial-boots 2] [--restart-delay-ms 1000] -- <gateway arguments>

  --root              the app root: releases/, current, update-state.json (e.g. /var/lib/station/app)
  --supervise         restart the gateway when it exits, until SIGTERM (without systemd)
  --max-trial-boots   boots a version on trial gets without committing before it is rolled back
  --restart-delay-ms  the wait before a restart with --supervise (none after exit 75)
  everything after -- goes to station-gateway, e.g.  -- run --config /etc/station/station.yaml`;

export interface LauncherOptions {
  root: string;
  supervise: boolean;
  maxTrialBoots: number;
  restartDelayMs: number;
  killAfterMs: number;
  gatewayArgs: string[];
}

export function parseLauncherArgs(argv: string[]): LauncherOptions {
  const dashes = argv.indexOf('--');
  if (dashes < 0) throw new UsageError('the gateway arguments are missing: put them after --');
  const { values } = parseCommandLine({
    args: argv.slice(0, dashes),
    options: {
      root: { type: 'string' },
      supervise: { type: 'boolean' },
      'max-trial-boots': { type: 'string' },
      'restart-delay-ms': { type: 'string' },
      // For tests: how long a trial child has after SIGTERM at its deadline.
      'kill-after-ms': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.root) throw new UsageError('--root <app root> is required');
  const gatewayArgs = argv.slice(dashes + 1);
  if (gatewayArgs.length === 0) throw new UsageError('no gateway arguments after --');
  return {
    root: values.root,
    supervise: values.supervise === true,
    maxTrialBoots: integerOption(values['max-trial-boots'], 'max-trial-boots', 1, 100) ?? 2,
    restartDelayMs: integerOption(values['restart-delay-ms'], 'restart-delay-ms', 0, 3_600_000) ?? 1000,
    killAfterMs: integerOption(values['kill-after-ms'], 'kill-after-ms', 0, 600_000) ?? KILL_AFTER_MS,
    gatewayArgs,
  };
}

