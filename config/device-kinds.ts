/** The device kinds a station config may name; each has its capability contract in role-catalogue.ts. */
export const DEVICE_KINDS = ['door-lock', 'qr-scanner', 'battery-cabinet', 'water-dispenser', 'occupancy', 'smoke-detector'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
