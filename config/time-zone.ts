import { editDistance } from './nearest-name.js';

/**
 * Whether the runtime's Intl knows an IANA zone. Opening hours and night hours are read through
 * `Intl.DateTimeFormat` with this zone (gateway/station/daily-window.ts), which throws RangeError
 * for a zone it does not know; the schema asks the same question so a typo stops `validate`, not
 * the gateway at start. The answer depends on the ICU data of the Node build, which is the point:
 * it is the build the station runs.
 */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The known zone nearest to a mistyped one (`Asia/Shanghia` → `Asia/Shanghai`), for the message. */
export function nearestTimeZone(zone: string): string | undefined {
  const lower = zone.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(zone.length / 4)) + 1;
  for (const known of [...Intl.supportedValuesOf('timeZone'), 'UTC']) {
    const d = editDistance(lower, known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}
