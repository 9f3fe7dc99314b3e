import { editDistance } from './nearest-name.js';

/**
 * Whether the runtime's Intl knows an IANA zone. Opening hours and night hours are read in this
 * zone (gateway/station/daily-window.ts); the schema asks the same question so a typo stops
 * `validate`, not the gateway at start. The answer depends on the ICU data of the Node build,
 * which is the point: it is the build the station runs.
 *
 * The canonical names are looked up first: the first `Intl.DateTimeFormat` a process makes leaves
 * about 8 MB of ICU data resident, and the gateway validates its station file at every start. Only
 * a name outside that list (an alias such as `Asia/Chongqing`, or a typo) pays for the formatter
 * that settles it.
 */
export function isKnownTimeZone(zone: string): boolean {
  if (canonicalZones().has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

let canonical: Set<string> | undefined;
/** ICU's canonical zone names, and UTC, which Node 20's list leaves out. */
const canonicalZones = (): Set<string> => (canonical ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']));

/** The known zone nearest to a mistyped one (`Asia/Shanghia` → `Asia/Shanghai`), for the message. */
export function nearestTimeZone(zone: string): string | undefined {
  const lower = zone.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(zone.length / 4)) + 1;
  for (const known of canonicalZones()) {
    const d = editDistance(lower, known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}
