import type { Logger } from 'pino';
import { pino } from 'pino';
import { BoundedLineSplitter } from '../../device-drivers/line/bounded-line-splitter.js';
import { DeviceError } from '../../device-drivers/device-error.js';
import { MAX_LINE_BYTES, decodeFrame, encodeFrame } from '../../device-drivers/line/line-frame.js';
import type { LineFrame } from '../../device-drivers/line/line-frame.js';
import { BusScheduler } from '../bus/bus-scheduler.js';
import type { LineTiming } from '../bus/line-timing.js';
import { NO_FAULTS, type TransportFaults } from '../faults/transport-faults.js';
import { mulberry32 } from '../modbus/seeded-random.js';
import { openSimSerialLink, type LineEndpoint } from '../serial/sim-serial-link.js';
import { damageLine, noiseLine } from './line-damage.js';

/*
 * The reference door lock controller (specs/devices.md §1) on a pty, a serial device or a TCP port
 * (as behind a serial device server), with the field faults crews
 * reproduce on a bench ("Faults"): silence, late replies, bad checksums, jammed bolts, raw garbage.
 */

export interface DoorLockSimOptions {
  /** The path the gateway opens; the simulator takes `<path>.sim`. Ignored when `endpoint` is given. */
  path: string;
  /** A real serial device instead of a pty pair (or a pty at another path), or a TCP port served as a device server would. */
  endpoint?: LineEndpoint | undefined;
  baudRate?: number | undefined;
  /** Pace replies and events at the line's baud rate (8N1: 10 bits a character). */
  timing?: LineTiming | undefined;
  /**
   * Someone walks through a released door: it opens a second or three after the release and
   * closes a few seconds later (seeded), with the contact events a real controller sends.
   */
  walkThrough?: boolean | undefined;
  seed?: number | undefined;
  doors?: number | undefined;
  firmware?: string | undefined;
  /** How long the controller releases a door when its exit button is pressed. */
  exitUnlockMs?: number;
  log?: Logger | undefined;
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
  /** Send only the first half of every frame, with no line end. */
  partial: boolean;
  /** Send a line of noise instead of every frame. */
  garbage: boolean;
}

export interface DoorLockSimCounters {
  requests: number;
  badChecksum: number;
  badFrames: number;
}

export interface DoorLockSimulator {
  readonly devicePath: string;
  /** Set when the line is served on TCP, as a serial device server does: where the gateway connects. */
  readonly tcp: { host: string; port: number } | undefined;
  faults(change: Partial<DoorLockSimFaults>): void;
  /** The wire faults as the shared fault words see them (live: changes apply to the next frame). */
  readonly transportFaults: TransportFaults;
  jammedDoors(): number[];
  doorCount(): number;
  /** Whether the simulator's end of the wire is open (false during a drop). */
  linkUp(): boolean;
  /** Unplug for `ms` (the pty link disappears) and come back with `0 EVT BOOT`. */
  drop(ms: number): Promise<void>;
  /** `bytes` random bytes and a line end: line noise. */
  noise(bytes?: number): Promise<void>;
  /** `releases`: how many times the bolt was released since start (UNLOCK or the exit button), so a bench or a test sees a release however short. */
  state(door: number): { bolt: 'locked' | 'unlocked'; door: 'open' | 'closed'; releases: number };
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
  releases: number;
}

const DOOR_ARG = /^[0-9]{1,2}$/;
const MS_ARG = /^[0-9]{1,5}$/;

export async function startDoorLockSimulator(options: DoorLockSimOptions): Promise<DoorLockSimulator> {
  const doorCount = options.doors ?? 2;
  const firmware = options.firmware ?? 'LK-REF 1.4.2';
  const exitUnlockMs = options.exitUnlockMs ?? 5000;
  const log = options.log ?? pino({ level: 'silent' });
  const wire: TransportFaults = { ...NO_FAULTS };
  const lockFaults = { muteVerbs: [] as string[], jammed: [] as number[] };
  const random = mulberry32(options.seed ?? 1);
  const counters: DoorLockSimCounters = { requests: 0, badChecksum: 0, badFrames: 0 };
  const doors = new Map<number, DoorState>();
  for (let d = 1; d <= doorCount; d++) doors.set(d, { bolt: 'locked', door: 'closed', relock: undefined, releases: 0 });
  const timers = new Set<NodeJS.Timeout>();

  const link = await openSimSerialLink(options.endpoint ?? { type: 'pty', path: options.path }, { baudRate: options.baudRate ?? options.timing?.baudRate ?? 9600 });
  const splitter = new BoundedLineSplitter({ maxLength: MAX_LINE_BYTES });
  const offData = link.onData((chunk) => splitter.write(chunk));
  splitter.on('dropped', () => counters.badFrames++);
  splitter.on('data', (line: string) => onLine(line));

  const scheduler = new BusScheduler((bytes) => link.write(bytes), options.timing);

  const send = (seq: number, verb: string, args: (string | number)[]): Promise<void> => {
    const frame = damageLine(encodeFrame(seq, verb, args), wire, random);
    const delayMs = wire.delayMs + (options.timing?.responseDelayMs ?? 0);
    const sent = scheduler.send(Buffer.from(frame, 'latin1'), delayMs);
    // A late reply is the device's business: the caller (a test's openDoor) need not wait for it.
    if (delayMs > 0) {
      sent.catch((err: unknown) => log.warn({ err }, 'door lock sim write failed'));
      return Promise.resolve();
    }
    return sent;
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
    s.releases++;
    if (options.walkThrough) walkThrough(door);
    s.relock = setTimeout(() => {
      if (s.relock) timers.delete(s.relock);
      s.relock = undefined;
      s.bolt = 'locked';
    }, ms);
    timers.add(s.relock);
  };

  const later = (ms: number, run: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      run();
    }, ms);
    timers.add(t);
  };

  const setContact = async (door: number, to: 'open' | 'closed'): Promise<void> => {
    const s = doors.get(door);
    if (!s || s.door === to) return;
    s.door = to;
    await event('DOOR', door, to === 'open' ? 'OPEN' : 'CLOSED');
  };

  /** A worker pushes the released door open, walks through, and it swings shut behind them. */
  const walkThrough = (door: number): void => {
    later(1000 + Math.floor(2000 * random()), () => {
      const s = doors.get(door);
      if (!s || s.bolt !== 'unlocked' || s.door === 'open') return;
      void setContact(door, 'open');
      later(3000 + Math.floor(3000 * random()), () => void setContact(door, 'closed'));
    });
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
    if (wire.silent) return;
    const reply = answer(frame);
    if (lockFaults.muteVerbs.includes(frame.verb)) return;
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
        if (lockFaults.jammed.includes(Number(doorArg))) return ['ERR', 'JAMMED'];
        relockNow(s);
        return ['OK'];
      }
      case 'UNLOCK': {
        const s = lookup(doorArg, frame.args.length === 2);
        if (typeof s === 'string') return ['ERR', s];
        const ms = msArg !== undefined && MS_ARG.test(msArg) ? Number(msArg) : NaN;
        if (!(ms >= 100 && ms <= 30_000)) return ['ERR', 'BADARG'];
        if (lockFaults.jammed.includes(Number(doorArg))) return ['ERR', 'JAMMED'];
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
  log.info({ devicePath: link.devicePath, doors: doorCount }, 'door lock simulator started');

  return {
    devicePath: link.devicePath,
    tcp: link.tcp,
    transportFaults: wire,
    faults(change) {
      if (change.silent !== undefined) wire.silent = change.silent;
      if (change.replyDelayMs !== undefined) wire.delayMs = change.replyDelayMs;
      if (change.corruptChecksum !== undefined) wire.corrupt = change.corruptChecksum;
      if (change.partial !== undefined) wire.partial = change.partial;
      if (change.garbage !== undefined) wire.garbage = change.garbage;
      if (change.muteVerbs !== undefined) lockFaults.muteVerbs = [...change.muteVerbs];
      if (change.jammed !== undefined) lockFaults.jammed = [...change.jammed];
    },
    jammedDoors: () => [...lockFaults.jammed],
    doorCount: () => doorCount,
    linkUp: () => link.isUp(),
    async drop(ms) {
      scheduler.cancel();
      await link.drop(ms);
      // A controller that lost power comes back with every door locked and says so.
      later(ms + 50, () => {
        for (const s of doors.values()) relockNow(s);
        const boot = (): void => {
          if (link.isUp()) void event('BOOT', ...firmware.split(' '));
          else later(50, boot);
        };
        boot();
      });
    },
    noise: (bytes = 24) => link.write(noiseLine(bytes, random)),
    state(door) {
      const s = mustDoor(door);
      return { bolt: s.bolt, door: s.door, releases: s.releases };
    },
    counters: () => ({ ...counters }),
    async openDoor(door) {
      mustDoor(door);
      await setContact(door, 'open');
    },
    async closeDoor(door) {
      mustDoor(door);
      await setContact(door, 'closed');
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
    sendRaw: (bytes) => link.write(bytes),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      scheduler.cancel();
      offData();
      splitter.destroy();
      await link.close();
    },
  };
}
