import { MAX_BIRTH_RESOURCES, type StationResource } from '../../../cloud-bridge/contract-schemas.js';
import { isRecord } from '../../../config/is-record.js';

export type { StationResource };

/*
 * The station's resources as its birth lists them (`S/status` `resources`): which name is which
 * door, so a remote unlock offers the door's own name. Read defensively, as all the console reads:
 * an entry without a name or device is skipped, a list past the contract's bound is cut there.
 * Absent (an older gateway): undefined, and the unlock dialog asks for the name instead.
 */

export function stationResources(v: unknown): StationResource[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: StationResource[] = [];
  for (const r of v.slice(0, MAX_BIRTH_RESOURCES)) {
    if (!isRecord(r) || typeof r['name'] !== 'string' || r['name'] === '' || typeof r['device'] !== 'string') continue;
    const item: StationResource = { name: r['name'], device: r['device'], actions: Array.isArray(r['actions']) ? (r['actions'].filter((a) => typeof a === 'string') as StationResource['actions']) : [] };
    if (typeof r['door'] === 'number') item.door = r['door'];
    if (r['outOfService'] === true) item.outOfService = true;
    out.push(item);
  }
  return out;
}

/** The resources that unlock door `door` of lock `device` (a door is usually one). */
export function doorResources(resources: readonly StationResource[], device: string, door: string): StationResource[] {
  return resources.filter((r) => r.device === device && r.door !== undefined && String(r.door) === door && r.actions.includes('unlock'));
}
