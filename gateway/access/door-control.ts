import type { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { AccessDenied } from './access-error.js';
import type { ResourceRef } from './access-service.js';
import type { DoorSupervisor } from './door-supervisor.js';

/**
 * Carries out a granted unlock: the door's driver releases it for the resource's time, and the
 * supervisor learns that an opening in that window is allowed. The bolt relocks by itself (the
 * controller's timer), so a gateway that dies mid-unlock leaves the door locked.
 */
export class DoorControl {
  constructor(
    private readonly monitors: ReadonlyMap<string, DeviceMonitor>,
    private readonly supervisor: DoorSupervisor,
  ) {}

  async unlock(resource: ResourceRef): Promise<Record<string, unknown>> {
    const controller = this.monitors.get(resource.device)?.driver.capability;
    if (controller?.kind !== 'door-lock') throw new AccessDenied('DEVICE_ERROR', `${resource.device} cannot open doors`);
    const door = resource.door ?? 1;
    const result = await controller.unlock(door, resource.unlockMs);
    this.supervisor.unlocked(resource.device, door, resource.unlockMs);
    return { res: resource.name, door, openMs: resource.unlockMs, acknowledged: result.acknowledged };
  }
}
