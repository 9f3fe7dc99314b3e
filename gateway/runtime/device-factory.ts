import type { Logger } from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import { lockDoors } from '../../config/lock-doors.js';
import type { Clock } from '../../config/clock.js';
import type { DeviceConfig } from '../../config/station-schema.js';
import type { DeviceDriver } from '../../device-drivers/device.js';
import { createDoorLockDriver } from '../../device-drivers/door-lock/door-lock-driver.js';
import type { LineLink } from '../../device-drivers/line/line-link.js';
import { GpioDriver } from '../../device-drivers/gpio/gpio-driver.js';
import { JohnnyFiveBoard, createFirmataIo } from '../../device-drivers/gpio/johnny-five-board.js';
import { DeviceMonitor } from '../../device-drivers/health/device-monitor.js';
import { ModbusBus, endpointKey, type ModbusEndpoint } from '../../device-drivers/modbus/modbus-bus.js';
import { ModbusProfileDriver } from '../../device-drivers/modbus/modbus-profile-driver.js';
import { createQrScannerDriver } from '../../device-drivers/qr-scanner/qr-scanner-driver.js';

export class UnsupportedDeviceError extends Error {
  override readonly name = 'UnsupportedDeviceError';
  readonly code = 'DEVICE_UNSUPPORTED';
}

type GpioTransport = Extract<DeviceConfig['transport'], { type: 'gpio' }>;

/**
 * Builds drivers and their monitors from the station config. Devices that share an RS-485
 * line or a TCP endpoint get the same ModbusBus, which is what serialises their transactions;
 * devices on one Firmata board share that board the same way.
 */
export class DeviceFactory {
  private readonly buses = new Map<string, ModbusBus>();
  private readonly boards = new Map<string, JohnnyFiveBoard>();

  constructor(
    private readonly station: LoadedStation,
    private readonly log: Logger,
    /** Poll schedules, bus and board backoff, relock timers; each part's own default unless a test drives time. */
    private readonly clock?: Clock,
  ) {}

  buildMonitors(): DeviceMonitor[] {
    const monitors: DeviceMonitor[] = [];
    for (const device of this.station.config.devices) {
      const log = this.log.child({ device: device.id });
      let driver: DeviceDriver;
      try {
        driver = this.buildDriver(device, log);
      } catch (err) {
        if (!(err instanceof UnsupportedDeviceError)) throw err;
        log.error({ code: err.code }, err.message);
        continue;
      }
      monitors.push(new DeviceMonitor({ id: device.id, driver, pollMs: device.pollMs, offlineAfter: device.offlineAfter, log, clock: this.clock }));
    }
    return monitors;
  }

  async close(): Promise<void> {
    await Promise.all([...this.buses.values(), ...this.boards.values()].map((b) => b.close()));
    this.buses.clear();
    this.boards.clear();
  }

  private buildDriver(device: DeviceConfig, log: Logger): DeviceDriver {
    const t = device.transport;
    switch (t.type) {
      case 'serial':
      case 'serial-tcp': {
        // A device server's port is the same line as a local one, reached over raw TCP.
        const link: LineLink = t.type === 'serial' ? { serial: t } : { tcp: { host: t.host, port: t.port } };
        if (device.kind === 'door-lock') {
          const keeper = device.retryMaxMs === undefined ? undefined : { reopenMaxMs: device.retryMaxMs };
          return createDoorLockDriver({ ...link, doors: lockDoors(this.station.config, device), timeoutMs: device.timeoutMs, keeper, log });
        }
        if (device.kind === 'qr-scanner') return createQrScannerDriver({ ...link, maxScanBytes: device.maxScanBytes, log });
        throw new UnsupportedDeviceError(`${device.id}: a ${device.kind} does not speak the line protocol; the device is left out`);
      }
      case 'modbus-tcp':
      case 'modbus-rtu':
      case 'modbus-rtu-over-tcp': {
        const profile = this.station.profiles.get(device.id);
        if (!profile) throw new Error(`no profile loaded for ${device.id}`);
        const bus = this.busFor(t);
        if (device.retryMaxMs !== undefined) bus.configureUnit(t.unitId, { retryMaxMs: device.retryMaxMs });
        return new ModbusProfileDriver({ profile, bus, unitId: t.unitId, timeoutMs: device.timeoutMs });
      }
      case 'gpio': {
        const kind = device.kind;
        if (kind !== 'occupancy' && kind !== 'door-lock' && kind !== 'smoke-detector') throw new UnsupportedDeviceError(`${device.id}: a ${kind} cannot be a GPIO device; the device is left out`);
        const pins = t.pin === undefined ? t.pins : { ...t.pins, presence: t.pin };
        return new GpioDriver({ kind, board: this.boardFor(t), pins, strikeActiveLow: t.strikeActiveLow, exitUnlockMs: t.exitUnlockMs, smokeContact: t.smokeContact, clock: this.clock, log });
      }
    }
  }

  private boardFor(t: GpioTransport): JohnnyFiveBoard {
    let board = this.boards.get(t.path);
    if (!board) {
      board = new JohnnyFiveBoard({ path: t.path, createIo: () => createFirmataIo(t.path, t.baudRate), log: this.log.child({ board: t.path }), clock: this.clock });
      this.boards.set(t.path, board);
    }
    return board;
  }

  private busFor(t: ModbusEndpoint): ModbusBus {
    const endpoint: ModbusEndpoint =
      t.type === 'modbus-rtu'
        ? { type: t.type, path: t.path, baudRate: t.baudRate, dataBits: t.dataBits, parity: t.parity, stopBits: t.stopBits }
        : { type: t.type, host: t.host, port: t.port };
    const key = endpointKey(endpoint);
    let bus = this.buses.get(key);
    if (!bus) {
      bus = new ModbusBus(endpoint, this.log.child({ bus: key }), { clock: this.clock });
      this.buses.set(key, bus);
    }
    return bus;
  }
}

