import type { Logger } from 'pino';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { BoundedLineSplitter } from '../../device-drivers/line/bounded-line-splitter.js';
import { DeviceError } from '../../device-drivers/device-error.js';
import { MAX_LINE_BYTES, decodeFrame, encodeFrame } from '../../device-drivers/line/line-frame.js';
import type { LineFrame } from '../../device-drivers/line/line-frame.js';
import { createPtyPair } from './pty-pair.js';

/*
 * The reference door lock controller (specs/devices.md §1) on a pty, with the field faults crews
 * reproduce on a bench ("Faults"): silence, late replies, bad checksums, jammed bolts, raw garbage.
 */

export interface DoorLockSimOptions {
  /** The path the gateway opens; the simulator takes `<path>.sim`. */
  path: string;
  doors?: number;
  firmware?: string;
  /** How long the controller releases a door when its exit button is pressed. */
  exitUnlockMs?: number;
  log?: Logger;
}

export interface DoorLockSimFaults {
  /** Read requests but never answer (the gateway sees timeouts). */
  silent: boolean;
  /** Carry out these requests but lose their replies (the gateway sees a timeout after the fact). */
  muteVerbs: string[];
  /** Answer this late. */
  replyDelayMs: number;
  /** Send every frame (replies and events) with a wrong checksum. */
  corruptChecksum: boolean;
  /** Doors whose bolt is jammed: UNLOCK and LOCK answer `ERR JAMMED`. */
  jammed: number[];
}

export interface DoorLockSimCounters {
  requests: number;
  badChecksum: number;
  badFrames: number;
}

export interface DoorLockSimulator {
  readonly devicePath: string;
  faults(change: Partial<DoorLockSimFaults>): void;
  state(door: number): { bolt: 'locked' | 'unlocked'; door: 'open' | 'closed' };
  counters(): DoorLockSimCounters;
  openDoor(door: number): Promise<void>;
  closeDoor(door: number): Promise<void>;
  /** The controller releases the door itself (egress never depends on the gateway) and reports EVT EXIT. */
  pressExit(door: number): Promise<void>;
  tamper(): Promise<void>;
  /** Restart: all doors locked, `0 EVT BOOT <firmware>`. */
  reboot(): Promise<void>;
  /** Write bytes as they are: partial lines, noise, hand-made frames. */
  sendRaw(bytes: string | Buffer): Promise<void>;
  stop(): Promise<void>;
}

interface DoorState {
  bolt: 'locked' | 'unlocked';
  door: 'open' | 'closed';
  relock: NodeJS.Timeout | undefined;
}

const DOOR_ARG = /^[0-9]{1,2}$/;
const MS_ARG = /^[0-9]{1,5}$/;

export async function startDoorLockSimulator(options: DoorLockSimOptions): Promise<DoorLockSimulator> {
  const doorCount = options.doors ?? 2;
  const firmware = options.firmware ?? 'LK-REF 1.4.2';
  const exitUnlockMs = options.exitUnlockMs ?? 5000;
  const log = options.log ?? pino({ level: 'silent' });
  const faults: DoorLockSimFaults = { silent: false, muteVerbs: [], replyDelayMs: 0, corruptChecksum: false, jammed: [] };
  const counters: DoorLockSimCounters = { requests: 0, badChecksum: 0, badFrames: 0 };
  const doors = new Map<number, DoorState>();
  for (let d = 1; d <= doorCount; d++) doors.set(d, { bolt: 'locked', door: 'closed', relock: undefined });
  const timers = new Set<NodeJS.Timeout>();

  const pty = await createPtyPair({ devicePath: options.path });
  const port = new SerialPort({ path: pty.simPath, baudRate: 9600, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    await pty.close();
    throw err;
  }
  port.on('error', (err) => log.warn({ err }, 'door lock sim port error'));
  const splitter = new BoundedLineSplitter({ maxLength: MAX_LINE_BYTES });
  port.on('data', (chunk: Buffer) => splitter.write(chunk));
  splitter.on('dropped', () => counters.badFrames++);
  splitter.on('data', (line: string) => onLine(line));

  const writeNow = (bytes: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!port.isOpen) return resolve();
      port.write(bytes, (err) => (err ? reject(err) : resolve()));
    });

  const send = (seq: number, verb: string, args: (string | number)[]): Promise<void> => {
    let frame = encodeFrame(seq, verb, args);
    if (faults.corruptChecksum) frame = corrupt(frame);
    if (faults.replyDelayMs <= 0) return writeNow(frame);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        timers.delete(t);
        writeNow(frame).then(resolve, reject);
      }, faults.replyDelayMs);
      timers.add(t);
    });
  };

  const event = (...args: (string | number)[]): Promise<void> => send(0, 'EVT', args);

  const release = (door: number, ms: number): void => {
    const s = doors.get(door);
    if (!s) return;
    if (s.relock) {
      clearTimeout(s.relock);
      timers.delete(s.relock);
    }
    s.bolt = 'unlocked';
    s.relock = setTimeout(() => {
      if (s.relock) timers.delete(s.relock);
      s.relock = undefined;
      s.bolt = 'locked';
    }, ms);
    timers.add(s.relock);
  };

  const relockNow = (s: DoorState): void => {
    if (s.relock) {
      clearTimeout(s.relock);
      timers.delete(s.relock);
    }
    s.relock = undefined;
    s.bolt = 'locked';
  };

  function onLine(line: string): void {
    let frame: LineFrame;
    try {
      frame = decodeFrame(line);
    } catch (err) {
      // A real controller cannot tell which request a garbled line was, so it answers nothing.
      if (err instanceof DeviceError && err.code === 'CHECKSUM') counters.badChecksum++;
      else counters.badFrames++;
      return;
    }
    if (frame.seq === 0) {
      counters.badFrames++;
      return;
    }
    counters.requests++;
    if (faults.silent) return;
    const reply = answer(frame);
    if (faults.muteVerbs.includes(frame.verb)) return;
    send(frame.seq, reply[0], reply.slice(1)).catch((err: unknown) => log.warn({ err }, 'door lock sim reply failed'));
  }

  function answer(frame: LineFrame): [string, ...(string | number)[]] {
    const [doorArg, msArg] = frame.args;
    switch (frame.verb) {
      case 'PING':
        return ['PONG', ...firmware.split(' ')];
      case 'STATUS': {
        const s = lookup(doorArg, frame.args.length === 1);
        if (typeof s === 'string') return ['ERR', s];
        return ['STATUS', Number(doorArg), s.bolt === 'locked' ? 'LOCKED' : 'UNLOCKED', s.door === 'open' ? 'OPEN' : 'CLOSED'];
      }
      case 'LOCK': {
        const s = lookup(doorArg, frame.args.length === 1);
        if (typeof s === 'string') return ['ERR', s];
        if (faults.jammed.includes(Number(doorArg))) return ['ERR', 'JAMMED'];
        relockNow(s);
        return ['OK'];
      }
      case 'UNLOCK': {
        const s = lookup(doorArg, frame.args.length === 2);
        if (typeof s === 'string') return ['ERR', s];
        const ms = msArg !== undefined && MS_ARG.test(msArg) ? Number(msArg) : NaN;
        if (!(ms >= 100 && ms <= 30_000)) return ['ERR', 'BADARG'];
        if (faults.jammed.includes(Number(doorArg))) return ['ERR', 'JAMMED'];
        release(Number(doorArg), ms);
        return ['OK'];
      }
      default:
        return ['ERR', 'UNKNOWN'];
    }
  }

  function lookup(doorArg: string | undefined, argCountOk: boolean): DoorState | 'BADARG' | 'BADDOOR' {
    if (!argCountOk || doorArg === undefined || !DOOR_ARG.test(doorArg)) return 'BADARG';
    return doors.get(Number(doorArg)) ?? 'BADDOOR';
  }

  const mustDoor = (door: number): DoorState => {
    const s = doors.get(door);
    if (!s) throw new RangeError(`the simulator has doors 1..${doorCount}, not ${door}`);
    return s;
  };

  await event('BOOT', ...firmware.split(' '));
  log.info({ devicePath: pty.devicePath, doors: doorCount }, 'door lock simulator started');

  return {
    devicePath: pty.devicePath,
    faults(change) {
      Object.assign(faults, change);
    },
    state(door) {
      const s = mustDoor(door);
      return { bolt: s.bolt, door: s.door };
    },
    counters: () => ({ ...counters }),
    async openDoor(door) {
      const s = mustDoor(door);
      if (s.door === 'open') return;
      s.door = 'open';
      await event('DOOR', door, 'OPEN');
    },
    async closeDoor(door) {
      const s = mustDoor(door);
      if (s.door === 'closed') return;
      s.door = 'closed';
      await event('DOOR', door, 'CLOSED');
    },
    async pressExit(door) {
      mustDoor(door);
      release(door, exitUnlockMs);
      await event('EXIT', door);
    },
    tamper: () => event('TAMPER'),
    async reboot() {
      for (const s of doors.values()) relockNow(s);
      await event('BOOT', ...firmware.split(' '));
    },
    sendRaw: (bytes) => writeNow(bytes),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      splitter.destroy();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pty.close();
    },
  };
}

/** Same frame with the checksum off by one bit. */
function corrupt(frame: string): string {
  const star = frame.lastIndexOf('*');
  const cs = parseInt(frame.slice(star + 1, star + 3), 16) ^ 0x01;
  return `${frame.slice(0, star + 1)}${cs.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
