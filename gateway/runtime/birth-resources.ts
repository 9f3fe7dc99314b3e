import { MAX_BIRTH_RESOURCES, RESOURCE_ACTIONS, type ResourceAction, type StationResource } from '../../cloud-bridge/contract-schemas.js';
import type { StationConfig } from '../../config/station-schema.js';
import { ACTIONS_BY_KIND } from '../access/access-service.js';

const resourceAction = (a: string): a is ResourceAction => (RESOURCE_ACTIONS as readonly string[]).includes(a);

/**
 * The station file's resources as the birth lists them: a console then offers the door's own
 * name instead of asking the operator to type one. What each may do is the access logic's own
 * kind table, so the birth never promises an act the station refuses. More than the contract's
 * bound: undefined (the birth lists none and consoles ask, as for an older gateway) rather than
 * a list that silently misses some.
 */
export function birthResources(config: Pick<StationConfig, 'resources' | 'devices'>): StationResource[] | undefined {
  const entries = Object.entries(config.resources);
  if (entries.length > MAX_BIRTH_RESOURCES) return undefined;
  const kinds = new Map(config.devices.map((d) => [d.id, d.kind]));
  return entries.map(([name, r]) => {
    const kind = kinds.get(r.device);
    const out: StationResource = { name, device: r.device, actions: (kind ? (ACTIONS_BY_KIND[kind] ?? []) : []).filter(resourceAction) };
    if (r.door !== undefined) out.door = r.door;
    if (r.outOfService) out.outOfService = true;
    return out;
  });
}
