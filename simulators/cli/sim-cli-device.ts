import { join, resolve } from 'node:path';
import { ConfigError, formatProblem } from '../../config/config-error.js';
import { loadCheckedProfile } from '../../config/profile-fit.js';
import { builtinProfilesDir } from '../../config/package-root.js';
import type { Profile } from '../../config/profile-schema.js';
import { integerOption, UsageError } from '../../config/usage-error.js';
import type { DeviceKind } from '../../config/device-kinds.js';
import type { DeviceSimSpec, SimTransport } from '../simulator-set.js';

/** The parsed options of `station-sim` (node:util parseArgs values). */
export interface SimArgs {
  config?: string;
  seed?: string;
  help?: boolean;
  id?: string;
  tcp?: string;
  'rtu-tcp'?: string;
  serial?: string;
  pty?: string;
  host?: string;
  baud?: string;
  unit?: string;
  slots?: string;
  smoke?: boolean;
  tank?: string;
  filter?: string;
  leak?: boolean;
  people?: string;
  calm?: boolean;
  doors?: string;
  firmware?: string;
  jammed?: string[];
  'walk-through'?: boolean;
  terminator?: string;
  fault?: string[];
  do?: string[];
  scenario?: string;
  'baud-timing'?: boolean;
  'response-delay'?: string;
  'bits-per-char'?: string;
  'control-port'?: string;
  profile?: string;
}

const KINDS: Record<string, { kind: DeviceKind; id: string; modbus: boolean }> = {
  lock: { kind: 'door-lock', id: 'lock-1', modbus: false },
  scanner: { kind: 'qr-scanner', id: 'scanner-1', modbus: false },
  cabinet: { kind: 'battery-cabinet', id: 'cabinet-1', modbus: true },
  dispenser: { kind: 'water-dispenser', id: 'water-1', modbus: true },
  occupancy: { kind: 'occupancy', id: 'occupancy-1', modbus: true },
  smoke: { kind: 'smoke-detector', id: 'smoke-1', modbus: true },
};

const DEFAULT_TCP_PORT = 5020;
const TERMINATORS: Record<string, '\r' | '\n' | '\r\n'> = { crlf: '\r\n', cr: '\r', lf: '\n' };

/**
 * One device from the command line; `tempDir` makes a directory for a pty with no path given,
 * `notice` hears what a `--profile` leaves off (its optional roles left unbound).
 */
export function deviceSpecFromArgs(sub: string, args: SimArgs, tempDir: () => string, notice: (line: string) => void = () => undefined): DeviceSimSpec {
  const what = KINDS[sub];
  if (!what) throw new UsageError(`unknown device "${sub}"`);
  const id = args.id ?? what.id;
  if (!/^[a-z0-9-]{1,64}$/.test(id)) throw new UsageError(`--id must be [a-z0-9-]{1,64}, not "${id}"`);
  const chosen = (['tcp', 'rtu-tcp', 'serial', 'pty'] as const).filter((k) => args[k] !== undefined);
  if (chosen.length > 1) throw new UsageError(`choose one transport, not --${chosen.join(' and --')}`);
  if (!what.modbus && args['rtu-tcp'] !== undefined) throw new UsageError(`a ${sub} is a serial device: use --serial DEV, --pty [PATH] or --tcp PORT (a device server)`);
  const baudRate = integerOption(args.baud, 'baud', 50, 4_000_000);
  const host = args.host ?? '127.0.0.1';
  const ptyPath = (): string => (args.pty ? args.pty : join(tempDir(), id));
  let transport: SimTransport;
  if (args.serial !== undefined) {
    const endpoint = { type: 'serial' as const, path: args.serial };
    transport = what.modbus ? { type: 'modbus-rtu', endpoint, baudRate } : { type: 'serial', endpoint, baudRate };
  } else if (args.tcp !== undefined) {
    const port = integerOption(args.tcp, 'tcp', 0, 65535);
    // A line device on TCP is a serial port behind a device server, not a Modbus TCP server.
    transport = what.modbus ? { type: 'modbus-tcp', host, port: port ?? DEFAULT_TCP_PORT } : { type: 'serial-tcp', host, port: port ?? 0 };
  } else if (args['rtu-tcp'] !== undefined) {
    transport = { type: 'modbus-rtu-over-tcp', host, port: integerOption(args['rtu-tcp'], 'rtu-tcp', 0, 65535) ?? 0, baudRate };
  } else if (args.pty !== undefined || !what.modbus) {
    const endpoint = { type: 'pty' as const, path: ptyPath() };
    transport = what.modbus ? { type: 'modbus-rtu', endpoint, baudRate } : { type: 'serial', endpoint, baudRate };
  } else {
    transport = { type: 'modbus-tcp', host, port: DEFAULT_TCP_PORT };
  }
  const terminator = args.terminator === undefined ? undefined : TERMINATORS[args.terminator];
  if (args.terminator !== undefined && !terminator) throw new UsageError(`--terminator must be crlf, cr or lf, not "${args.terminator}"`);
  const unitId = integerOption(args.unit, 'unit', 1, 247);
  const slots = integerOption(args.slots, 'slots', 1, 24);
  const doors = integerOption(args.doors, 'doors', 1, 16);
  if (args.profile !== undefined && !what.modbus) throw new UsageError(`a ${sub} speaks its own line protocol: --profile is for Modbus devices`);
  const profile = args.profile === undefined ? undefined : loadProfileArg(args.profile, notice);
  if (profile && profile.kind !== what.kind) throw new UsageError(`--profile ${args.profile} is a ${profile.kind} profile, not a ${what.kind}`);
  return {
    id,
    kind: what.kind,
    transport,
    profile,
    unitId,
    slots,
    doors,
    firmware: args.firmware,
    walkThrough: args['walk-through'],
    terminator,
  };
}

/**
 * `--profile`: a path (it has a slash or ends in .yaml), else the id of a profile shipped with
 * the gateway. It is checked as `validate` and the station loader check it, so a file the
 * gateway would refuse is refused on the bench too, each problem with its line (ConfigError).
 */
export function loadProfileArg(ref: string, notice: (line: string) => void = () => undefined): Profile {
  const file = ref.includes('/') || ref.endsWith('.yaml') || ref.endsWith('.yml') ? resolve(ref) : join(builtinProfilesDir(), `${ref}.yaml`);
  const { profile, problems, notices } = loadCheckedProfile(file);
  if (!profile) throw new ConfigError(problems);
  for (const n of notices) notice(formatProblem(n));
  return profile;
}

/** Start-up state and faults from flags, as control commands (without the device id). */
export function initialCommands(sub: string, args: SimArgs): string[] {
  const out: string[] = [];
  if ((sub === 'cabinet' || sub === 'smoke') && args.smoke) out.push('smoke on');
  if (sub === 'dispenser') {
    if (args.tank !== undefined) out.push(Number(args.tank) === 0 ? 'tank empty' : `tank ${args.tank}`);
    if (args.filter !== undefined) out.push(`filter ${args.filter}`);
    if (args.leak) out.push('leak on');
  }
  if (sub === 'occupancy') {
    if (args.calm) out.push('wander off');
    if (args.people !== undefined) out.push(`people ${args.people}`);
  }
  if (sub === 'lock') for (const door of args.jammed ?? []) out.push(`door ${door} jammed`);
  for (const fault of args.fault ?? []) out.push(`fault ${fault}`);
  return out;
}
