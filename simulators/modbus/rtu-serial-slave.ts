import { BusScheduler } from '../bus/bus-scheduler.js';
import { frameSilenceMs, rtuWire, type LineTiming } from '../bus/line-timing.js';
import type { TransportFaults } from '../faults/transport-faults.js';
import { openSimSerialLink, type SerialEndpoint } from '../serial/sim-serial-link.js';
import { type SimSerialLink } from '../serial/sim-link.js';
import type { RegisterBank } from './register-bank.js';
import { RtuSlaveSession, type RtuSlaveCounters } from './rtu-slave-session.js';
import { mulberry32 } from './seeded-random.js';

export interface RtuSerialSlaveOptions {
  endpoint: SerialEndpoint;
  baudRate?: number;
  /** Several units on one RS-485 bus: one listener, one answer on the wire at a time. */
  units: ReadonlyMap<number, RegisterBank>;
  faults?: ReadonlyMap<number, TransportFaults>;
  /** Pace answers as the real line would; without it answers go at pty speed. */
  timing?: LineTiming | undefined;
  /**
   * Without timing, a partial frame is dropped after this much silence. Node timers and a busy
   * machine cannot keep a 4 ms t3.5 honest, so the default is generous; frames of known functions
   * end at their length anyway.
   */
  silenceMs?: number;
  seed?: number;
}

export interface RtuSerialSlave {
  readonly link: SimSerialLink;
  counters(): RtuSlaveCounters;
  stop(): Promise<void>;
}

const MIN_SILENCE_MS = 2;

/** Modbus RTU slaves on a serial device or pty, CRC checked by us (see RtuSlaveSession). */
export async function startRtuSerialSlave(options: RtuSerialSlaveOptions): Promise<RtuSerialSlave> {
  const link = await openSimSerialLink(options.endpoint, { baudRate: options.baudRate ?? options.timing?.baudRate ?? 9600 });
  const scheduler = new BusScheduler((bytes) => link.write(bytes).catch(() => undefined), options.timing, rtuWire(options.timing));
  const silenceMs = options.silenceMs ?? (options.timing ? Math.max(MIN_SILENCE_MS, frameSilenceMs(options.timing)) : 50);
  const session = new RtuSlaveSession({ units: options.units, faults: options.faults, scheduler, silenceMs, random: mulberry32(options.seed ?? 1) });
  const off = link.onData((chunk) => session.receive(chunk));
  return {
    link,
    counters: () => ({ ...session.counters }),
    async stop() {
      off();
      session.dispose();
      scheduler.cancel();
      await link.close();
    },
  };
}
