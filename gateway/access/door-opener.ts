import type { DeviceDriver } from '../../device-drivers/device.js';

/** What a door needs from its driver: the lock controller and the GPIO strike both have it. */
export interface DoorOpener {
  unlock(door: number, ms: number): Promise<{ door: number; released: true; acknowledged: boolean }>;
}

export function isDoorOpener(driver: DeviceDriver): driver is DeviceDriver & DoorOpener {
  return typeof (driver as Partial<DoorOpener>).unlock === 'function';
}
