import type { StationConfig } from '../../config/station-schema.js';

/** What a reloaded station file asks for, and whether it can be done without a restart. */
export interface ReloadPlan {
  /** Keys whose new value only a restart can apply; when any, nothing is applied. */
  restartKeys: string[];
  /** Keys that change and can be applied live. */
  liveKeys: string[];
  /** The new level, when it changed. */
  logLevel?: StationConfig['log']['level'] | undefined;
  pollMs: Array<{ id: string; pollMs: number }>;
  /** metrics or statusPage moved: the listeners restart on the new addresses. */
  servers: boolean;
}

const LIVE_SECTIONS = new Set(['log', 'metrics', 'statusPage']);
/** Keys of other sections that apply live: the trusted keys file is read again on every reload anyway. */
const LIVE_KEYS = new Set(['access.trustedKeys']);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Sub-keys of a section that differ, named as a crew would write them (`cloud.url`). */
function changedKeys(section: string, a: unknown, b: unknown): string[] {
  if (same(a, b)) return [];
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) || Array.isArray(b)) return [section];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])).map((k) => `${section}.${k}`);
}

/**
 * Splits a reload into what is safe while running (the log level, a device's poll period, where
 * metrics and the status page listen, which file holds the trusted keys) and what is not (anything that opens a port to a device,
 * the broker, the database, or changes what the station is). The running station is always one
 * file or the other, never a mix: one key that needs a restart refuses the whole reload.
 */
export function planReload(current: StationConfig, next: StationConfig): ReloadPlan {
  const restartKeys: string[] = [];
  const liveKeys: string[] = [];
  const sections = new Set([...Object.keys(current), ...Object.keys(next)]) as Set<keyof StationConfig>;
  for (const section of sections) {
    if (section === 'devices') continue;
    for (const key of changedKeys(section, current[section], next[section])) (LIVE_SECTIONS.has(section) || LIVE_KEYS.has(key) ? liveKeys : restartKeys).push(key);
  }
  const pollMs: ReloadPlan['pollMs'] = [];
  const ids = (c: StationConfig): string => c.devices.map((d) => d.id).join(',');
  if (ids(current) !== ids(next)) restartKeys.push('devices (added, removed or reordered)');
  else {
    current.devices.forEach((d, i) => {
      const n = next.devices[i];
      if (!n) return;
      for (const key of changedKeys(`devices[${d.id}]`, d, n)) {
        if (key === `devices[${d.id}].pollMs`) {
          liveKeys.push(key);
          pollMs.push({ id: d.id, pollMs: n.pollMs });
        } else restartKeys.push(key);
      }
    });
  }
  return {
    restartKeys,
    liveKeys,
    logLevel: current.log.level !== next.log.level ? next.log.level : undefined,
    pollMs,
    servers: !same(current.metrics, next.metrics) || !same(current.statusPage, next.statusPage),
  };
}
