import type { Logger } from 'pino';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadStationConfig, type LoadOptions, type LoadedStation } from '../../config/load-station-config.js';
import type { ReloadPlan } from './config-reload.js';

/**
 * `systemctl reload station-gateway` (SIGHUP): reads the station file again, with the same
 * command-line overrides, and hands it to the runtime. A file that does not validate changes
 * nothing; its problems are logged the way `validate` prints them.
 */
export function reloadOnHangup(
  /** The station file in force, asked at each signal (a revision the fleet pushed, or the on-site file). */
  file: string | (() => string),
  overrides: LoadOptions,
  runtime: { reload(next: LoadedStation): Promise<ReloadPlan | undefined> },
  log: Logger,
): () => void {
  let running: Promise<void> = Promise.resolve();
  const fileNow = (): string => (typeof file === 'string' ? file : file());
  const reload = async (): Promise<void> => {
    let next: LoadedStation;
    try {
      next = loadStationConfig(fileNow(), overrides);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      log.error({ code: err.code, problems: err.problems.map(formatProblem) }, 'reload refused: the station file does not validate; nothing was changed');
      return;
    }
    await runtime.reload(next);
  };
  const onHangup = (): void => {
    log.info({ file: fileNow() }, 'SIGHUP: reloading the configuration');
    // One reload at a time, in the order the signals came.
    running = running.then(reload).catch((err: unknown) => log.error({ err }, 'reload failed'));
  };
  process.on('SIGHUP', onHangup);
  return () => process.off('SIGHUP', onHangup);
}
