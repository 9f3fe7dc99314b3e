import { posix } from 'node:path';
import { listenAddressesClash } from './network-address.js';

/*
 * Checks of how devices share wires, which the shapes of single devices cannot see: the runtime
 * puts every device on one serial path or one host:port on the same bus (gateway/runtime/
 * device-factory.ts), so two devices there with one unit id answer each other's polls, a second
 * baud rate is silently ignored, and a line device sharing a port garbles both. Devices are named
 * by id in every message: a crew fixes one of the two, and must know which two.
 */

export interface WiringProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * What the checks read of a station file, structurally: station-schema.ts runs them inside its
 * own refinement, so importing its types here would make the two modules one cycle.
 */
interface Device {
  id: string;
  kind: string;
  transport: { type: string };
}
export interface WiredStation {
  devices: readonly Device[];
  resources: Readonly<Record<string, { device: string; door?: number | undefined }>>;
  metrics?: { listen: string } | undefined;
  statusPage?: { listen: string } | undefined;
}

/** Transports that may carry several devices; the others own their port alone. */
const SHARED = new Set(['modbus-rtu', 'modbus-tcp', 'modbus-rtu-over-tcp', 'gpio']);
/** RTU framing: unit 0 is the broadcast address, which no device answers. */
const RTU = new Set(['modbus-rtu', 'modbus-rtu-over-tcp']);
/** Kinds the gateway reads through a profile, and the transports that can carry them. */
const MODBUS_KINDS: Readonly<Record<string, string>> = {
  'battery-cabinet': 'modbus-rtu, modbus-tcp or modbus-rtu-over-tcp',
  'water-dispenser': 'modbus-rtu, modbus-tcp or modbus-rtu-over-tcp',
  occupancy: 'modbus-rtu, modbus-tcp, modbus-rtu-over-tcp or gpio',
  'smoke-detector': 'modbus-rtu, modbus-tcp, modbus-rtu-over-tcp or gpio',
};

interface Wire {
  /** What the runtime keys its bus or board by. */
  key: string;
  /** For messages: the path, or host:port. */
  where: string;
  field: 'path' | 'host';
}

function wireOf(d: Device): Wire | undefined {
  const t = d.transport as Record<string, unknown>;
  if (typeof t['path'] === 'string') {
    const path = posix.normalize(t['path']);
    return { key: `path:${path}`, where: path, field: 'path' };
  }
  if (typeof t['host'] === 'string' && typeof t['port'] === 'number') {
    // The runtime keys buses by the text, so `localhost` and 127.0.0.1 would be two connections to one converter.
    const host = t['host'].toLowerCase() === 'localhost' ? '127.0.0.1' : t['host'].toLowerCase();
    return { key: `tcp:${host}:${t['port']}`, where: `${t['host']}:${t['port']}`, field: 'host' };
  }
  return undefined;
}

export function wiringProblems(cfg: WiredStation): WiringProblem[] {
  const out: WiringProblem[] = [];
  const onWire = new Map<string, Array<{ d: Device; i: number }>>();
  cfg.devices.forEach((d, i) => {
    const t = d.transport as Record<string, unknown> & { type: string };
    const fits = MODBUS_KINDS[d.kind];
    // GPIO transports say which kinds they carry themselves (gpioIssues in station-schema.ts).
    if (fits && !t.type.startsWith('modbus') && t.type !== 'gpio') {
      out.push({ path: ['devices', i, 'transport', 'type'], message: `a ${d.kind} is read through a profile over Modbus: transport.type must be ${fits}, not ${t.type}` });
    }
    if (RTU.has(t.type) && t['unitId'] === 0) {
      out.push({ path: ['devices', i, 'transport', 'unitId'], message: 'unit 0 is the Modbus RTU broadcast address, which no device answers: use 1 to 247' });
    }
    const wire = wireOf(d);
    if (!wire) return;
    const earlier = onWire.get(wire.key) ?? [];
    for (const { d: other } of earlier) {
      const problem = shareProblem(d, other, wire.where);
      if (problem) out.push({ path: ['devices', i, 'transport', problem.field ?? wire.field], message: problem.message });
    }
    onWire.set(wire.key, [...earlier, { d, i }]);
  });
  out.push(...resourceProblems(cfg));
  const { metrics, statusPage } = cfg;
  if (metrics && statusPage && listenAddressesClash(metrics.listen, statusPage.listen)) {
    out.push({ path: ['statusPage', 'listen'], message: `${statusPage.listen} is also metrics.listen (${metrics.listen}): the two servers need different ports` });
  }
  return out;
}

/** What is wrong with `d` on the same wire as `other`, which came first in the file. */
function shareProblem(d: Device, other: Device, where: string): { field?: string; message: string } | undefined {
  const t = d.transport as Record<string, unknown> & { type: string };
  const o = other.transport as Record<string, unknown> & { type: string };
  if (t.type !== o.type) {
    return { message: `${d.id} (${t.type}) and ${other.id} (${o.type}) both use ${where}: one port carries one protocol` };
  }
  if (!SHARED.has(t.type)) {
    return { message: `${d.id} and ${other.id} both use ${where}: a ${t.type} device needs a port of its own` };
  }
  if (t.type === 'gpio') return boardProblem(d, other, where);
  if (t['unitId'] === o['unitId']) {
    const bus = t.type === 'modbus-tcp' ? 'one Modbus TCP server' : 'one RS-485 bus';
    return { field: 'unitId', message: `${d.id} and ${other.id} are both unit ${String(t['unitId'])} on ${where} (${bus}): each device there needs its own unitId` };
  }
  if (t.type === 'modbus-rtu') {
    for (const key of ['baudRate', 'dataBits', 'parity', 'stopBits']) {
      if (t[key] !== o[key]) {
        return { field: key, message: `${d.id} says ${key} ${String(t[key])} but ${other.id} on the same line ${where} says ${String(o[key])}: devices on one line share its settings` };
      }
    }
  }
  return undefined;
}

/** Devices on one Firmata board share its serial speed and never a pin. */
function boardProblem(d: Device, other: Device, where: string): { field?: string; message: string } | undefined {
  const t = d.transport as { baudRate?: unknown; pin?: unknown; pins?: Record<string, unknown> };
  const o = other.transport as typeof t;
  if (t.baudRate !== o.baudRate) {
    return { field: 'baudRate', message: `${d.id} says baudRate ${String(t.baudRate)} but ${other.id} on the same board ${where} says ${String(o.baudRate)}` };
  }
  const pins = (x: typeof t): Map<string, string> => {
    const m = new Map<string, string>();
    for (const [name, pin] of Object.entries({ pin: x.pin, ...x.pins })) if (pin !== undefined) m.set(String(pin), name);
    return m;
  };
  const theirs = pins(o);
  for (const [pin, name] of pins(t)) {
    const their = theirs.get(pin);
    if (their) return { field: 'pins', message: `pin ${pin} (${name}) is also ${other.id}'s ${their} on the board ${where}` };
  }
  return undefined;
}

/**
 * What a token may do with a resource follows its device's kind (ACTIONS_BY_KIND in
 * gateway/access/access-service.ts): a resource on any other kind refuses every token with
 * FORBIDDEN, and a door number means something to a door lock only.
 */
const RESOURCE_KINDS = new Set(['door-lock', 'battery-cabinet', 'water-dispenser']);

function resourceProblems(cfg: WiredStation): WiringProblem[] {
  const out: WiringProblem[] = [];
  const kinds = new Map(cfg.devices.map((d) => [d.id, d.kind] as const));
  for (const [name, r] of Object.entries(cfg.resources)) {
    const kind = kinds.get(r.device);
    if (kind === undefined) continue;
    if (!RESOURCE_KINDS.has(kind)) {
      out.push({ path: ['resources', name, 'device'], message: `${r.device} is ${kind === 'occupancy' ? 'an' : 'a'} ${kind}, which no token acts on: a resource is a door lock, a battery cabinet or a water dispenser` });
    } else if (kind !== 'door-lock' && r.door !== undefined) {
      out.push({ path: ['resources', name, 'door'], message: `${r.device} is a ${kind}, not a door lock: door applies to door-lock resources only` });
    }
  }
  return out;
}
