import { describe, expect, it } from 'vitest';
import type { LoadedStation } from '../../../config/load-station-config.js';
import { stationConfigSchema } from '../../../config/station-schema.js';
import { GPIO_MODEL, GpioDriver } from '../../../device-drivers/gpio/gpio-driver.js';
import { DeviceFactory } from '../../../gateway/runtime/device-factory.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';

const base = {
  station: { id: 'gpio-test' },
  cloud: { url: 'mqtt://127.0.0.1:1883' },
  storage: { path: '/tmp/x.db' },
};

const parse = (devices: unknown[], resources: Record<string, unknown> = {}) => stationConfigSchema.safeParse({ ...base, resources, devices });

const messages = (r: ReturnType<typeof parse>): string[] => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));

describe('gpio devices in the station config', () => {
  it('accepts the shared example\'s PIR (pin) and a door by pins, with defaults', () => {
    const r = parse(
      [
        { id: 'pir-1', kind: 'occupancy', transport: { type: 'gpio', board: 'firmata', path: '/dev/ttyACM1', pin: 7 } },
        { id: 'door-2', kind: 'door-lock', transport: { type: 'gpio', path: '/dev/ttyACM1', pins: { strike: 8, exitButton: 2, statusLed: 13 } } },
      ],
      { 'side-door': { device: 'door-2', door: 1 } },
    );
    expect(messages(r)).toEqual([]);
    const door = r.data?.devices[1]?.transport;
    expect(door).toMatchObject({ type: 'gpio', baudRate: 57600, strikeActiveLow: false, exitUnlockMs: 5000 });
  });

  it('says which pin is missing or used twice, and which kinds GPIO can be', () => {
    const r = parse([
      { id: 'pir-1', kind: 'occupancy', transport: { type: 'gpio', path: '/dev/ttyACM1', pins: { statusLed: 13 } } },
      { id: 'door-1', kind: 'door-lock', transport: { type: 'gpio', path: '/dev/ttyACM1', pins: { exitButton: 2 } } },
      { id: 'door-2', kind: 'door-lock', transport: { type: 'gpio', path: '/dev/ttyACM1', pins: { strike: 8, statusLed: 8 } } },
      { id: 'water-1', kind: 'water-dispenser', transport: { type: 'gpio', path: '/dev/ttyACM1', pin: 4 } },
    ]);
    expect(messages(r)).toEqual([
      'devices.0.transport.pins.presence: a GPIO occupancy sensor needs its PIR pin (pin or pins.presence)',
      'devices.1.transport.pins.strike: a GPIO door needs its strike relay pin (pins.strike)',
      'devices.2.transport.pins.statusLed: pin 8 is also strike',
      'devices.3.kind: a GPIO device is a PIR sensor (kind occupancy), a door with a strike relay (kind door-lock) or a smoke detector (kind smoke-detector)',
    ]);
  });
});

describe('DeviceFactory', () => {
  it('builds GPIO drivers (no I/O until started) instead of leaving the devices out', async () => {
    const r = parse([
      { id: 'pir-1', kind: 'occupancy', transport: { type: 'gpio', path: '/dev/ttyACM1', pin: 7 } },
      { id: 'door-2', kind: 'door-lock', transport: { type: 'gpio', path: '/dev/ttyACM1', pins: { strike: 8 } } },
    ]);
    if (!r.success) throw r.error;
    const station: LoadedStation = { file: '/tmp/station.yaml', config: r.data, profiles: new Map() };
    const factory = new DeviceFactory(station, silentLogger());
    const monitors = factory.buildMonitors();
    expect(monitors.map((m) => [m.id, m.kind, m.model])).toEqual([
      ['pir-1', 'occupancy', GPIO_MODEL],
      ['door-2', 'door-lock', GPIO_MODEL],
    ]);
    for (const m of monitors) expect(m.driver).toBeInstanceOf(GpioDriver);
    await factory.close();
  });
});
