import { SMOKE_CLEAR_MS } from '../station/cabinet-safety.js';
import { FLOOR_RESOLUTION_MS } from '../store/time-floor.js';

/**
 * Periods of the gateway's own timers that a test must be able to sweep in seconds instead of
 * minutes. Internal, not configuration: a station has no reason to change them, so they are not
 * in the station file; `STATION_GATEWAY_CLOCK_TICK_MS`, `STATION_GATEWAY_UPKEEP_MS` and
 * `STATION_GATEWAY_SMOKE_CLEAR_MS`, `STATION_GATEWAY_RENEWAL_CHECK_MS` set them from the environment (docs/storage.md). A value that is not a whole number of at
 * least 100 ms is ignored and the default kept.
 */
export interface InternalPeriods {
  /**
   * How often the time floor follows a trusted clock, and the step it takes on disk: fifteen
   * minutes, since each step costs the SD card about 37 kB with the anchor's (store/time-floor.ts).
   */
  clockTickMs: number;
  /** How often retention, the disk budget and held writes run. */
  upkeepMs: number;
  /** How long the smoke bit must stay clear before the smoke latch releases (tests restart within it). */
  smokeClearMs: number;
  /** The first look at the certificate's expiry after start (an enrolled station's renewal). */
  renewalCheckMs: number;
}

export const DEFAULT_PERIODS: InternalPeriods = { clockTickMs: FLOOR_RESOLUTION_MS, upkeepMs: 60_000, smokeClearMs: SMOKE_CLEAR_MS, renewalCheckMs: 60_000 };

const ENV: Readonly<Record<keyof InternalPeriods, string>> = {
  clockTickMs: 'STATION_GATEWAY_CLOCK_TICK_MS',
  upkeepMs: 'STATION_GATEWAY_UPKEEP_MS',
  smokeClearMs: 'STATION_GATEWAY_SMOKE_CLEAR_MS',
  renewalCheckMs: 'STATION_GATEWAY_RENEWAL_CHECK_MS',
};

export function internalPeriods(env: NodeJS.ProcessEnv): { periods: InternalPeriods; ignored: string[] } {
  const periods = { ...DEFAULT_PERIODS };
  const ignored: string[] = [];
  for (const key of Object.keys(ENV) as Array<keyof InternalPeriods>) {
    const raw = env[ENV[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= 100) periods[key] = n;
    else ignored.push(`${ENV[key]}=${raw}`);
  }
  return { periods, ignored };
}
