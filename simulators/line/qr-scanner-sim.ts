import { BusScheduler } from '../bus/bus-scheduler.js';
import type { LineTiming } from '../bus/line-timing.js';
import { NO_FAULTS, type TransportFaults } from '../faults/transport-faults.js';
import { mulberry32 } from '../modbus/seeded-random.js';
import { openSimSerialLink, type LineEndpoint } from '../serial/sim-serial-link.js';
import { noiseLine } from './line-damage.js';

/*
 * A QR scanner on a pty or a serial device (specs/devices.md §2): one scan per line; raw bytes for
 * noise and partial lines. A scanner only talks, so its wire faults shape what it sends: `silent`
 * loses scans, `delay` makes them late, `partial` cuts them before the line end, `garbage` sends
 * noise in their place.
 */

export interface QrScannerSimOptions {
  /** The path the gateway opens; the simulator takes `<path>.sim`. Ignored when `endpoint` is given. */
  path: string;
  endpoint?: LineEndpoint | undefined;
  baudRate?: number | undefined;
  /** What ends a scan; scanners are configurable, and the gateway must take all three. */
  terminator?: '\r' | '\n' | '\r\n' | undefined;
  /** Pace scans at the line's baud rate (8N1: 10 bits a character). */
  timing?: LineTiming | undefined;
  seed?: number | undefined;
}

export interface QrScannerSimulator {
  readonly devicePath: string;
  /** Set when the line is served on TCP, as a serial device server does: where the gateway connects. */
  readonly tcp: { host: string; port: number } | undefined;
  readonly transportFaults: TransportFaults;
  /** Sends `text` and the terminator, as a scanner does after decoding a code. */
  scan(text: string): Promise<void>;
  sendRaw(bytes: string | Buffer): Promise<void>;
  /** `bytes` random bytes and a line end. */
  noise(bytes?: number): Promise<void>;
  /** Whether the simulator's end of the wire is open (false during a drop). */
  linkUp(): boolean;
  /** Unplug for `ms`: the pty link disappears and comes back. */
  drop(ms: number): Promise<void>;
  scans(): number;
  stop(): Promise<void>;
}

export async function startQrScannerSimulator(options: QrScannerSimOptions): Promise<QrScannerSimulator> {
  const terminator = options.terminator ?? '\r\n';
  const link = await openSimSerialLink(options.endpoint ?? { type: 'pty', path: options.path }, { baudRate: options.baudRate ?? options.timing?.baudRate ?? 9600 });
  const wire: TransportFaults = { ...NO_FAULTS };
  const random = mulberry32(options.seed ?? 1);
  const scheduler = new BusScheduler((bytes) => link.write(bytes), options.timing);
  let scans = 0;

  return {
    devicePath: link.devicePath,
    tcp: link.tcp,
    transportFaults: wire,
    scan(text) {
      scans++;
      if (wire.silent) return Promise.resolve();
      let bytes: Buffer = Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from(terminator, 'ascii')]);
      if (wire.garbage) bytes = noiseLine(Math.max(8, bytes.length - 2), random);
      else if (wire.partial) bytes = Buffer.from(bytes.subarray(0, Math.max(1, Math.floor((bytes.length - terminator.length) / 2))));
      return scheduler.send(bytes, wire.delayMs + (options.timing?.responseDelayMs ?? 0));
    },
    sendRaw: (bytes) => link.write(bytes),
    noise: (bytes = 24) => link.write(noiseLine(bytes, random)),
    linkUp: () => link.isUp(),
    async drop(ms) {
      scheduler.cancel();
      await link.drop(ms);
    },
    scans: () => scans,
    async stop() {
      scheduler.cancel();
      await link.close();
    },
  };
}
