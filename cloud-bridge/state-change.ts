import { isRecord } from '../config/is-record.js';
import type { PointValue } from '../device-drivers/device-state.js';

/**
 * True when `next` differs from the last published `prev` by more than the deadbands allow.
 * Deadbands are keyed by path with `*` for any array index (`slots.*.soc`). Comparing against
 * what was last *published*, not last read, means a slow drift is reported once it adds up.
 */
export function changedBeyondDeadband(
  prev: PointValue | undefined,
  next: PointValue | undefined,
  deadbands: Readonly<Record<string, number>>,
  path = '',
): boolean {
  if (typeof prev === 'number' && typeof next === 'number') {
    const band = deadbands[path];
    return band === undefined ? prev !== next : Math.abs(next - prev) >= band;
  }
  if (Array.isArray(prev) && Array.isArray(next)) {
    if (prev.length !== next.length) return true;
    const childPath = path ? `${path}.*` : '*';
    return next.some((v, i) => changedBeyondDeadband(prev[i], v, deadbands, childPath));
  }
  if (isRecord(prev) && isRecord(next)) {
    const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
    for (const k of keys) {
      if (changedBeyondDeadband(prev[k], next[k], deadbands, path ? `${path}.${k}` : k)) return true;
    }
    return false;
  }
  return prev !== next;
}
