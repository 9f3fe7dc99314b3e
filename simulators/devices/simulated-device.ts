import type { DeviceKind } from '../../config/device-kinds.js';
import { applyFaultWords, describeFaults, type TransportFaults } from '../faults/transport-faults.js';
import { durationWord, intWord, splitWords } from '../control/command-words.js';
import { SimCommandError } from '../control/sim-command-error.js';

/** Where a master (the gateway, mbpoll) reaches a simulated device. */
export type SimEndpointInfo =
  | { transport: 'modbus-tcp' | 'modbus-rtu-over-tcp'; host: string; port: number; unitId: number }
  | { transport: 'modbus-rtu'; path: string; unitId: number }
  | { transport: 'serial'; path: string }
  | { transport: 'serial-tcp'; host: string; port: number };

/** A running simulated device: what it is, where it is, what it shows, and its control language. */
export interface SimulatedDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  /** Where the gateway finds it, e.g. `modbus-tcp 127.0.0.1:15020 unit 1` or `serial /path`. */
  readonly address: string;
  readonly endpoint: SimEndpointInfo;
  /** A JSON snapshot: the device's own state, its wire faults and whether its link is up. */
  state(): Record<string, unknown>;
  /**
   * Runs one command in the control language, without the device id (`slot 3 temperature 62`,
   * `fault silent on`); resolves with a short description of what changed, rejects with a
   * SimCommandError for a command that is wrong or impossible now. Give the line as typed where
   * there is one: a word that takes the rest of it as text (`scan`) gets it unsplit.
   */
  command(words: string | readonly string[]): Promise<string>;
}

/** The device's wire, as the fault commands drive it. */
export interface WireControl {
  /** Live: the transport reads it for every frame. */
  readonly faults: TransportFaults;
  readonly modbus: boolean;
  drop(ms: number): Promise<void>;
  /** Who else a drop takes down (devices sharing a listener or a bus), for the reply text. */
  readonly dropScope?: string | undefined;
  /** Raw noise on the wire; undefined where there is no wire to put it on (Modbus TCP). */
  noise?: (bytes: number) => Promise<void>;
  isUp(): boolean;
}

/** What a kind of device adds to the common words. */
export interface DomainCommands {
  help: readonly string[];
  snapshot(): Record<string, unknown>;
  /**
   * `words` split as splitWords does; `line` the same command as typed, from its verb on, for a
   * word whose argument is free text. Absent when the caller had words only.
   */
  run(words: readonly string[], line?: string): string | Promise<string>;
}

export const COMMON_HELP = [
  'fault silent on|off            hear requests, answer none',
  'fault delay <ms>|off           answer late',
  'fault exception <code>|off     Modbus only: answer with an exception (1..11 or a name)',
  'fault corrupt on|off           bad CRC (RTU), wrong transaction id (TCP), bad checksum (line)',
  'fault partial on|off           answers cut short',
  'fault garbage on|off           noise instead of answers',
  'fault clear                    all wire faults off',
  'drop <duration>                close the connection or unplug the pty, come back after it',
  'noise [bytes]                  a burst of random bytes on a serial line',
  'state                          the device as JSON',
];

export interface SimulatedDeviceParts {
  id: string;
  kind: DeviceKind;
  endpoint: SimEndpointInfo;
  wire: WireControl;
  domain: DomainCommands;
}

export function createSimulatedDevice(parts: SimulatedDeviceParts): SimulatedDevice {
  const { wire, domain } = parts;
  const device: SimulatedDevice = {
    id: parts.id,
    kind: parts.kind,
    endpoint: parts.endpoint,
    address: describeEndpoint(parts.endpoint),
    state: () => ({
      id: parts.id,
      kind: parts.kind,
      address: device.address,
      link: wire.isUp() ? 'up' : 'down',
      faults: describeFaults(wire.faults),
      ...domain.snapshot(),
    }),
    async command(input) {
      const words = typeof input === 'string' ? splitWords(input) : [...input];
      // From the verb on, as typed: the leading blanks go, nothing inside the text does.
      const line = typeof input === 'string' ? input.trimStart() : undefined;
      const [verb, ...rest] = words;
      switch (verb) {
        case undefined:
          throw new SimCommandError(`${parts.id}: which command? (help)`);
        case 'help':
          return [...COMMON_HELP, ...domain.help].join('\n');
        case 'state':
          return JSON.stringify(device.state());
        case 'fault':
          try {
            return applyFaultWords(wire.faults, rest, { modbus: wire.modbus });
          } catch (err) {
            throw new SimCommandError((err as Error).message);
          }
        case 'drop': {
          const ms = durationWord(rest[0], 'drop');
          await wire.drop(ms);
          return `dropped for ${ms} ms${wire.dropScope ? ` (${wire.dropScope})` : ''}`;
        }
        case 'noise': {
          if (!wire.noise) throw new SimCommandError('noise: only on a serial line (pty, serial device)');
          const bytes = rest[0] === undefined ? 24 : intWord(rest[0], 'noise bytes', 1, 4096);
          await wire.noise(bytes);
          return `sent ${bytes} bytes of noise`;
        }
        default:
          return domain.run(words, line);
      }
    },
  };
  return device;
}

export function describeEndpoint(endpoint: SimEndpointInfo): string {
  switch (endpoint.transport) {
    case 'modbus-tcp':
    case 'modbus-rtu-over-tcp':
      return `${endpoint.transport} ${endpoint.host}:${endpoint.port} unit ${endpoint.unitId}`;
    case 'modbus-rtu':
      return `modbus-rtu ${endpoint.path} unit ${endpoint.unitId}`;
    case 'serial':
      return `serial ${endpoint.path}`;
    case 'serial-tcp':
      return `serial-tcp ${endpoint.host}:${endpoint.port}`;
  }
}
