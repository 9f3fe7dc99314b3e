import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadProfileFile } from '../config/load-profile.js';
import { builtinProfilesDir } from '../config/package-root.js';
import type { Profile } from '../config/profile-schema.js';
import type { DeviceKind } from '../config/device-kinds.js';
import { LINE_8N1_BITS_PER_CHAR, MODBUS_RTU_BITS_PER_CHAR, checkLineTiming, type LineTiming } from './bus/line-timing.js';
import { restOfLine, splitWords } from './control/command-words.js';
import { SimCommandError } from './control/sim-command-error.js';
import { cabinetCommands } from './devices/cabinet-commands.js';
import { dispenserCommands } from './devices/dispenser-commands.js';
import { lockCommands, scannerCommands } from './devices/line-device-commands.js';
import { occupancyCommands } from './devices/occupancy-commands.js';
import { smokeCommands } from './devices/smoke-commands.js';
import { createSimulatedDevice, type DomainCommands, type SimEndpointInfo, type SimulatedDevice, type WireControl } from './devices/simulated-device.js';
import { NO_FAULTS, type TransportFaults } from './faults/transport-faults.js';
import { startDoorLockSimulator, type DoorLockSimulator } from './line/door-lock-sim.js';
import { startQrScannerSimulator } from './line/qr-scanner-sim.js';
import type { DeviceModel } from './modbus/device-model.js';
import { startModbusTcpServer, type ModbusTcpServer } from './modbus/modbus-tcp-server.js';
import { BatteryCabinetModel } from './modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from './modbus/models/occupancy-model.js';
import { SmokeDetectorModel } from './modbus/models/smoke-detector-model.js';
import { WaterDispenserModel } from './modbus/models/water-dispenser-model.js';
import { SimProfileError } from './modbus/role-view.js';
import type { RegisterBank } from './modbus/register-bank.js';
import { startRtuSerialSlave, type RtuSerialSlave } from './modbus/rtu-serial-slave.js';
import { runModelClock } from './modbus/start-modbus-device-sim.js';
import { mulberry32 } from './modbus/seeded-random.js';
import { noiseLine } from './line/line-damage.js';
import type { LineEndpoint, SerialEndpoint } from './serial/sim-serial-link.js';
import { playScenario, type Scenario, type ScenarioRun, type ScenarioRunOptions } from './scenario/scenario.js';

/** How one simulated device is reached. Port 0 picks a free port (read it from the device's endpoint). */
export type SimTransport =
  | { type: 'modbus-tcp'; host?: string | undefined; port: number }
  | { type: 'modbus-rtu-over-tcp'; host?: string | undefined; port: number; baudRate?: number | undefined }
  | { type: 'modbus-rtu'; endpoint: SerialEndpoint; baudRate?: number | undefined }
  | { type: 'serial'; endpoint: SerialEndpoint; baudRate?: number | undefined }
  /** A line device on a TCP listener, as a serial device server (ser2net, Moxa NPort) serves its port. */
  | { type: 'serial-tcp'; host?: string | undefined; port: number; baudRate?: number | undefined };

export interface DeviceSimSpec {
  id: string;
  kind: DeviceKind;
  transport: SimTransport;
  /** Modbus: the unit id (default: the profile's defaultUnitId). */
  unitId?: number | undefined;
  /**
   * Modbus: the register map and role bindings (default: the reference profile of the kind). Any
   * vendor's profile of the kind works: the models write and read through its roles.
   */
  profile?: Profile | undefined;
  /** Cabinet: number of slots. */
  slots?: number | undefined;
  /** Door lock: number of doors, firmware string, someone walks through released doors. */
  doors?: number | undefined;
  firmware?: string | undefined;
  walkThrough?: boolean | undefined;
  /** QR scanner: what ends a scan. */
  terminator?: '\r' | '\n' | '\r\n' | undefined;
  /** Default: the set's seed plus the device's position. */
  seed?: number | undefined;
}

export interface BaudTimingOptions {
  /** How long a device thinks before it answers, after the request's t3.5 (default 5 ms). */
  responseDelayMs?: number | undefined;
  /** Override bits per character (default 11 for Modbus RTU, 10 for the 8N1 line devices). */
  bitsPerChar?: number | undefined;
}

export interface SimulatorSetOptions {
  /** Same seed, same device life: a test or a crew can replay a run. */
  seed?: number;
  log?: Logger;
  /** Pace serial answers (and RTU-over-TCP) at each line's baud rate. */
  baudTiming?: boolean | BaudTimingOptions | undefined;
  /** How often device models advance (default 1000 ms); tests may pass less. */
  tickMs?: number;
}

export interface StationSimulator {
  readonly devices: readonly SimulatedDevice[];
  /** Devices of the config that are not simulated (GPIO), with why. */
  readonly skipped: ReadonlyArray<{ id: string; reason: string }>;
  device(id: string): SimulatedDevice;
  /** `<device-id> <words...>` in the control language; with a single device the id may be left out. */
  command(line: string): Promise<string>;
  /** Replays a scenario's steps against these devices. */
  play(scenario: Scenario, options?: ScenarioRunOptions): ScenarioRun;
  stop(): Promise<void>;
}

export class UnsimulatedDeviceError extends Error {
  override readonly name = 'UnsimulatedDeviceError';
  readonly code = 'SIM_UNSUPPORTED';
}

const REFERENCE_PROFILES: Partial<Record<DeviceKind, string>> = {
  'battery-cabinet': 'cabinet-ref',
  'water-dispenser': 'dispenser-ref',
  occupancy: 'occupancy-ref',
  'smoke-detector': 'smoke-ref',
};

const DEFAULT_RESPONSE_DELAY_MS = 5;

interface ModbusMember {
  spec: DeviceSimSpec;
  unitId: number;
  model: DeviceModel;
  domain: DomainCommands;
  faults: TransportFaults;
}

interface ModbusBusPlan {
  key: string;
  transport: SimTransport;
  members: ModbusMember[];
}

/**
 * Starts simulated devices. Modbus devices that share a TCP host:port share one listener (one
 * converter), and those that share a serial path share one RTU bus (one RS-485 line): one
 * listener, several units, one answer on the wire at a time. Line devices get a pty, a serial
 * device or a TCP listener (a device server's port) each.
 */
export async function startSimulators(specs: readonly DeviceSimSpec[], options: SimulatorSetOptions = {}): Promise<StationSimulator> {
  const stops: Array<() => Promise<void>> = [];
  const byId = new Map<string, SimulatedDevice>();
  const order: string[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(stops.splice(0).reverse().map((s) => s()));
  };
  const baseSeed = options.seed ?? 1;
  try {
    const buses = new Map<string, ModbusBusPlan>();
    const models: DeviceModel[] = [];
    const usedPaths = new Set<string>();
    for (const [position, spec] of specs.entries()) {
      if (order.includes(spec.id)) throw new UnsimulatedDeviceError(`device id ${spec.id} is used twice`);
      order.push(spec.id);
      const seed = spec.seed ?? baseSeed + position;
      const t = spec.transport;
      if (t.type === 'serial' || t.type === 'serial-tcp') {
        if (t.type === 'serial') {
          if (usedPaths.has(t.endpoint.path)) throw new UnsimulatedDeviceError(`${spec.id}: ${t.endpoint.path} is used twice`);
          usedPaths.add(t.endpoint.path);
        }
        const device = await startLineDevice(spec, t, seed, options);
        stops.push(device.stop);
        byId.set(spec.id, device.device);
        continue;
      }
      const member = buildModbusMember(spec, seed);
      models.push(member.model);
      const key = busKey(t, spec.id);
      if (t.type === 'modbus-rtu' && !buses.has(key)) {
        if (usedPaths.has(t.endpoint.path)) throw new UnsimulatedDeviceError(`${spec.id}: ${t.endpoint.path} is used twice`);
        usedPaths.add(t.endpoint.path);
      }
      const bus = buses.get(key) ?? { key, transport: t, members: [] };
      if (bus.transport.type !== t.type) throw new UnsimulatedDeviceError(`${spec.id}: ${key} is used with two transports (${bus.transport.type} and ${t.type})`);
      if (bus.members.some((m) => m.unitId === member.unitId)) throw new UnsimulatedDeviceError(`${spec.id}: unit ${member.unitId} is used twice on ${key}`);
      bus.members.push(member);
      buses.set(key, bus);
    }
    for (const bus of buses.values()) {
      const started = await startModbusBus(bus, baseSeed, options);
      stops.push(started.stop);
      for (const d of started.devices) byId.set(d.id, d);
    }
    if (models.length > 0) {
      const stopClock = runModelClock(models, options.tickMs);
      stops.push(async () => stopClock());
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const devices = order.map((id) => byId.get(id)).filter((d): d is SimulatedDevice => d !== undefined);
  const set: StationSimulator = {
    devices,
    skipped: [],
    device(id) {
      const d = byId.get(id);
      if (!d) throw new SimCommandError(`no device "${id}" (devices: ${order.join(', ')})`, 404);
      return d;
    },
    command(line) {
      const words = splitWords(line);
      const [first, ...rest] = words;
      if (first === undefined) return Promise.reject(new SimCommandError('empty command'));
      const target = byId.get(first);
      // The line itself, not its words: a scan's text keeps its runs of spaces.
      if (target) return target.command(restOfLine(line, 1));
      const only = devices.length === 1 ? devices[0] : undefined;
      if (only) return only.command(line);
      return Promise.reject(new SimCommandError(`no device "${first}" (devices: ${order.join(', ')})`, 404));
    },
    play: (scenario, runOptions) => playScenario(scenario, (line) => set.command(line), runOptions),
    stop: stopAll,
  };
  return set;
}

function busKey(t: SimTransport, id: string): string {
  switch (t.type) {
    case 'modbus-tcp':
    case 'modbus-rtu-over-tcp':
      // Port 0 asks for a port of its own, so it never groups.
      return t.port === 0 ? `tcp ${id}` : `${t.host ?? '127.0.0.1'}:${t.port}`;
    case 'modbus-rtu':
    case 'serial':
      return t.endpoint.path;
    case 'serial-tcp':
      return `serial-tcp ${id}`;
  }
}

function referenceProfile(kind: DeviceKind): Profile | undefined {
  const name = REFERENCE_PROFILES[kind];
  if (!name) return undefined;
  const { profile, problems } = loadProfileFile(join(builtinProfilesDir(), `${name}.yaml`));
  if (!profile) throw new Error(`built-in profile ${name}: ${problems.map((p) => p.message).join('; ')}`);
  return profile;
}

function buildModbusMember(spec: DeviceSimSpec, seed: number): ModbusMember {
  const profile = spec.profile ?? referenceProfile(spec.kind);
  if (!profile) throw new UnsimulatedDeviceError(`${spec.id}: no Modbus simulator for a ${spec.kind}`);
  if (profile.kind !== spec.kind) throw new UnsimulatedDeviceError(`${spec.id}: profile ${profile.id} is a ${profile.kind}, not a ${spec.kind}`);
  try {
    return buildModel(spec, profile, seed);
  } catch (err) {
    // A profile the model cannot express (no slot group, a state with no code): the crew's file is at fault.
    if (err instanceof SimProfileError) throw new UnsimulatedDeviceError(`${spec.id}: ${err.message}`);
    throw err;
  }
}

function buildModel(spec: DeviceSimSpec, profile: Profile, seed: number): ModbusMember {
  const unitId = spec.unitId ?? profile.defaultUnitId ?? 1;
  if (!(Number.isInteger(unitId) && unitId >= 1 && unitId <= 247)) throw new UnsimulatedDeviceError(`${spec.id}: unit id ${unitId} is not 1..247`);
  const faults: TransportFaults = { ...NO_FAULTS };
  switch (spec.kind) {
    case 'battery-cabinet': {
      const model = new BatteryCabinetModel({ profile, seed, slots: spec.slots });
      return { spec, unitId, model, faults, domain: cabinetCommands(model) };
    }
    case 'water-dispenser': {
      const model = new WaterDispenserModel({ profile, seed });
      return { spec, unitId, model, faults, domain: dispenserCommands(model) };
    }
    case 'occupancy': {
      const model = new OccupancyModel({ profile, seed });
      return { spec, unitId, model, faults, domain: occupancyCommands(model) };
    }
    case 'smoke-detector': {
      const model = new SmokeDetectorModel({ profile, seed });
      return { spec, unitId, model, faults, domain: smokeCommands(model) };
    }
    default:
      throw new UnsimulatedDeviceError(`${spec.id}: a ${spec.kind} is not a Modbus device`);
  }
}

function timingFor(options: SimulatorSetOptions, baudRate: number | undefined, defaultBits: number): LineTiming | undefined {
  if (!options.baudTiming) return undefined;
  const o = options.baudTiming === true ? {} : options.baudTiming;
  return checkLineTiming({ baudRate: baudRate ?? 9600, bitsPerChar: o.bitsPerChar ?? defaultBits, responseDelayMs: o.responseDelayMs ?? DEFAULT_RESPONSE_DELAY_MS });
}

async function startModbusBus(bus: ModbusBusPlan, seed: number, options: SimulatorSetOptions): Promise<{ devices: SimulatedDevice[]; stop: () => Promise<void> }> {
  const units = new Map<number, RegisterBank>(bus.members.map((m) => [m.unitId, m.model.bank]));
  const faults = new Map<number, TransportFaults>(bus.members.map((m) => [m.unitId, m.faults]));
  const t = bus.transport;
  const others = (m: ModbusMember): string | undefined =>
    bus.members.length > 1 ? `with ${bus.members.filter((o) => o !== m).map((o) => o.spec.id).join(', ')} on the same ${t.type === 'modbus-rtu' ? 'bus' : 'listener'}` : undefined;
  if (t.type === 'modbus-tcp' || t.type === 'modbus-rtu-over-tcp') {
    const host = t.host ?? '127.0.0.1';
    const framing = t.type === 'modbus-tcp' ? 'mbap' : 'rtu';
    const timing = t.type === 'modbus-rtu-over-tcp' ? timingFor(options, t.baudRate, MODBUS_RTU_BITS_PER_CHAR) : undefined;
    const server: ModbusTcpServer = await startModbusTcpServer({ host, port: t.port, units, faults, framing, seed, timing });
    const devices = bus.members.map((m) => {
      const wire: WireControl = { faults: m.faults, modbus: true, drop: (ms) => server.drop(ms), isUp: () => server.listening(), dropScope: others(m) };
      return createSimulatedDevice({ id: m.spec.id, kind: m.spec.kind, endpoint: { transport: t.type, host, port: server.port, unitId: m.unitId }, wire, domain: m.domain });
    });
    return { devices, stop: () => server.stop() };
  }
  if (t.type !== 'modbus-rtu') throw new UnsimulatedDeviceError(`${bus.key}: not a Modbus transport`);
  const timing = timingFor(options, t.baudRate, MODBUS_RTU_BITS_PER_CHAR);
  const slave: RtuSerialSlave = await startRtuSerialSlave({ endpoint: t.endpoint, baudRate: t.baudRate ?? 9600, units, faults, seed, timing });
  const random = mulberry32(seed);
  const devices = bus.members.map((m) => {
    const wire: WireControl = {
      faults: m.faults,
      modbus: true,
      drop: (ms) => slave.link.drop(ms),
      noise: (bytes) => slave.link.write(noiseLine(bytes, random).subarray(0, bytes)),
      isUp: () => slave.link.isUp(),
      dropScope: others(m),
    };
    return createSimulatedDevice({ id: m.spec.id, kind: m.spec.kind, endpoint: { transport: 'modbus-rtu', path: slave.link.devicePath, unitId: m.unitId }, wire, domain: m.domain });
  });
  return { devices, stop: () => slave.stop() };
}

/** The wire of a line-protocol simulator, as the control channel drives it. */
function lineWire(sim: Pick<DoorLockSimulator, 'transportFaults' | 'drop' | 'noise' | 'linkUp'>): WireControl {
  return { faults: sim.transportFaults, modbus: false, drop: (ms) => sim.drop(ms), noise: (n) => sim.noise(n), isUp: () => sim.linkUp() };
}

async function startLineDevice(
  spec: DeviceSimSpec,
  t: Extract<SimTransport, { type: 'serial' | 'serial-tcp' }>,
  seed: number,
  options: SimulatorSetOptions,
): Promise<{ device: SimulatedDevice; stop: () => Promise<void> }> {
  const timing = timingFor(options, t.baudRate, LINE_8N1_BITS_PER_CHAR);
  const endpoint: LineEndpoint = t.type === 'serial' ? t.endpoint : { type: 'tcp', port: t.port, host: t.host };
  const common = { path: 'path' in endpoint ? endpoint.path : '', endpoint, seed, baudRate: t.baudRate, timing };
  const where = (sim: { devicePath: string; tcp: { host: string; port: number } | undefined }): SimEndpointInfo =>
    sim.tcp ? { transport: 'serial-tcp', host: sim.tcp.host, port: sim.tcp.port } : { transport: 'serial', path: sim.devicePath };
  if (spec.kind === 'door-lock') {
    const sim = await startDoorLockSimulator({ ...common, doors: spec.doors, firmware: spec.firmware, walkThrough: spec.walkThrough, log: options.log?.child({ sim: spec.id }) });
    const wire = lineWire(sim);
    const device = createSimulatedDevice({ id: spec.id, kind: spec.kind, endpoint: where(sim), wire, domain: lockCommands(sim) });
    return { device, stop: () => sim.stop() };
  }
  if (spec.kind === 'qr-scanner') {
    const sim = await startQrScannerSimulator({ ...common, terminator: spec.terminator });
    const wire = lineWire(sim);
    const device = createSimulatedDevice({ id: spec.id, kind: spec.kind, endpoint: where(sim), wire, domain: scannerCommands(sim) });
    return { device, stop: () => sim.stop() };
  }
  throw new UnsimulatedDeviceError(`${spec.id}: a ${spec.kind} does not speak a line protocol; give it a Modbus transport`);
}
