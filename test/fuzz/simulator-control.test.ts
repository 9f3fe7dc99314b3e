import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeFrame, decodeFrame } from '../../device-drivers/line/line-frame.js';
import { SimCommandError } from '../../simulators/control/sim-command-error.js';
import { startHttpControl, type HttpControl } from '../../simulators/control/http-control.js';
import { cabinetCommands } from '../../simulators/devices/cabinet-commands.js';
import { dispenserCommands } from '../../simulators/devices/dispenser-commands.js';
import { lockCommands } from '../../simulators/devices/line-device-commands.js';
import { occupancyCommands } from '../../simulators/devices/occupancy-commands.js';
import { createSimulatedDevice, type DomainCommands, type SimulatedDevice } from '../../simulators/devices/simulated-device.js';
import { NO_FAULTS } from '../../simulators/faults/transport-faults.js';
import { startDoorLockSimulator, type DoorLockSimulator } from '../../simulators/line/door-lock-sim.js';
import { BatteryCabinetModel } from '../../simulators/modbus/models/battery-cabinet-model.js';
import { OccupancyModel } from '../../simulators/modbus/models/occupancy-model.js';
import { WaterDispenserModel } from '../../simulators/modbus/models/water-dispenser-model.js';
import { parseScenario, ScenarioError } from '../../simulators/scenario/scenario.js';
import type { StationSimulator } from '../../simulators/simulator-set.js';
import { loadTestProfile } from '../simulators/modbus/load-test-profile.js';
import { PROPERTY_TIMEOUT_MS, chunk, settings, wireBytes } from './fuzz-settings.js';

/*
 * The simulators' inputs from outside: bytes on the door lock's line, control commands (stdin, the
 * HTTP control API, scenario files). Garbage gets an error answer or nothing; the simulator lives.
 */

// The door lock simulator's wire, in memory: the property feeds bytes, the simulator answers here.
const wire = vi.hoisted(() => ({ listeners: new Set<(chunk: Buffer) => void>(), written: [] as Buffer[] }));
vi.mock('../../simulators/serial/sim-serial-link.js', () => ({
  openSimSerialLink: () =>
    Promise.resolve({
      devicePath: '/fuzz/lock',
      baudRate: 9600,
      write: (bytes: Buffer | string) => {
        wire.written.push(Buffer.from(bytes));
        return Promise.resolve();
      },
      onData: (listener: (chunk: Buffer) => void) => {
        wire.listeners.add(listener);
        return () => wire.listeners.delete(listener);
      },
      drop: () => Promise.resolve(),
      isUp: () => true,
      close: () => Promise.resolve(),
    }),
}));

const feed = (bytes: Buffer): void => {
  for (const l of wire.listeners) l(bytes);
};
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let lock: DoorLockSimulator;

beforeAll(async () => {
  lock = await startDoorLockSimulator({ path: '/fuzz/lock', doors: 2, seed: 5 });
});
afterAll(async () => {
  await lock.stop();
});

/** The lock still answers a well-formed request with its own seq. */
async function answersPing(seq: number): Promise<boolean> {
  wire.written.length = 0;
  feed(Buffer.from(encodeFrame(seq, 'PING')));
  for (let i = 0; i < 10 && wire.written.length === 0; i++) await settle();
  const lines = Buffer.concat(wire.written).toString('latin1').split('\r\n').filter(Boolean);
  return lines.some((line) => {
    try {
      const f = decodeFrame(line);
      return f.seq === seq && f.verb === 'PONG';
    } catch {
      return false;
    }
  });
}

describe('door lock simulator on a noisy line', () => {
  it(
    'noise, damaged frames and odd requests in any chunking: the simulator keeps answering PING',
    async () => {
      const verb = fc.constantFrom('PING', 'STATUS', 'LOCK', 'UNLOCK', 'OPEN', 'ERR', 'EVT');
      const arg = fc.oneof(fc.constantFrom('0', '1', '2', '3', '00', '99', '100', '30000', '30001', '-1', 'x'), fc.stringMatching(/^[\x21-\x29\x2B-\x7E]{1,8}$/));
      const request = fc.tuple(fc.integer({ min: 0, max: 65_535 }), verb, fc.array(arg, { maxLength: 3 })).map(([seq, v, args]) => Buffer.from(encodeFrame(seq, v, args)));
      const piece = fc.oneof(request, wireBytes(120).map((b) => Buffer.from(b)));
      await fc.assert(
        fc.asyncProperty(fc.array(piece, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), async (pieces, cuts) => {
          lock.faults({ jammed: [], muteVerbs: [] });
          for (const c of chunk(Buffer.concat(pieces), cuts)) feed(c);
          // Whatever half line the noise left is ended first, as the next real request would be.
          feed(Buffer.from('\r\n'));
          await settle();
          expect(await answersPing(4242)).toBe(true);
        }),
        settings(200, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/* Control commands */

const words = fc.array(
  fc.oneof(
    fc.constantFrom(
      'fault', 'silent', 'delay', 'exception', 'corrupt', 'partial', 'garbage', 'clear', 'on', 'off', 'drop', 'noise', 'state', 'help',
      'slot', 'temperature', 'door', 'insert', 'remove', 'open', 'close', 'jammed', 'free', 'smoke', 'mains', 'fan', 'tank', 'leak', 'person',
      'people', 'still', 'exit', 'tamper', 'reboot', 'mute', 'over-temperature', 'bms', 'auto', 'illegal-function',
      '0', '1', '3', '-1', '48', '60', '1e9', 'NaN', 'Infinity', '0x10', '1.5', '99999999999999999999', '500ms', '2s', '1h', '', ' ', '#', '__proto__', 'constructor', 'toString',
    ),
    fc.string({ maxLength: 8 }),
  ),
  { maxLength: 6 },
);

function fakeWire(modbus: boolean): Parameters<typeof createSimulatedDevice>[0]['wire'] {
  return { faults: { ...NO_FAULTS }, modbus, drop: () => Promise.resolve(), noise: () => Promise.resolve(), isUp: () => true };
}

function devices(): SimulatedDevice[] {
  const make = (id: string, kind: SimulatedDevice['kind'], domain: DomainCommands, modbus: boolean): SimulatedDevice =>
    createSimulatedDevice({ id, kind, endpoint: { transport: 'modbus-tcp', host: '127.0.0.1', port: 1, unitId: 1 }, wire: fakeWire(modbus), domain });
  return [
    make('cabinet-1', 'battery-cabinet', cabinetCommands(new BatteryCabinetModel({ profile: loadTestProfile('cabinet-ref'), seed: 1 })), true),
    make('water-1', 'water-dispenser', dispenserCommands(new WaterDispenserModel({ profile: loadTestProfile('dispenser-ref'), seed: 1 })), true),
    make('occupancy-1', 'occupancy', occupancyCommands(new OccupancyModel({ profile: loadTestProfile('occupancy-ref'), seed: 1 })), true),
    make('lock-1', 'door-lock', lockCommands(lock), false),
  ];
}

describe('control commands', () => {
  it(
    'any words to any device: an answer, or SimCommandError; never another exception',
    async () => {
      const all = devices();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...all), fc.oneof(words, fc.string({ maxLength: 40 }).map((s) => [s])), fc.boolean(), async (device, ws, asLine) => {
          try {
            const answer = await device.command(asLine ? ws.join(' ') : ws);
            expect(typeof answer).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(SimCommandError);
          }
        }),
        settings(800, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('scenario files', () => {
  const SAMPLE = '- at: 5s\n  do: cabinet-1 slot 3 temperature 62\n- at: 500ms\n  do: [water-1 leak on, occupancy-1 person still]\n- at: 1\n  do: lock-1 fault delay 800\n';

  it(
    'arbitrary text and mutated scenarios parse to ordered steps or throw ScenarioError',
    () => {
      const piece = fc.constantFrom('- ', 'at: ', 'do: ', '[', ']', '{', '}', ', ', '&a ', '*a', '\n', '\n  ', '5s', '-1', '1e400', '.nan', '~', '"', 'steps:', '<<: *a', '!!binary ', '2m', '999999999h');
      const text = fc.oneof(
        fc.string({ maxLength: 150, unit: 'binary' }),
        fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 40 }).map((p) => p.join('')),
        fc.tuple(fc.nat(), fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 3 })).map(([at, p]) => {
          const i = at % (SAMPLE.length + 1);
          return SAMPLE.slice(0, i) + p.join('') + SAMPLE.slice(i);
        }),
      );
      fc.assert(
        fc.property(text, (t) => {
          try {
            const s = parseScenario(t, 'fuzz.yaml');
            for (let i = 1; i < s.steps.length; i++) expect(s.steps[i]?.atMs).toBeGreaterThanOrEqual(s.steps[i - 1]?.atMs ?? 0);
            for (const step of s.steps) {
              expect(Number.isFinite(step.atMs) && step.atMs >= 0).toBe(true);
              expect(step.commands.length).toBeGreaterThan(0);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ScenarioError);
          }
        }),
        settings(800),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('HTTP control API', () => {
  let control: HttpControl;

  beforeAll(async () => {
    const all = devices();
    const byId = new Map(all.map((d) => [d.id, d]));
    const device = (id: string): SimulatedDevice => {
      const d = byId.get(id);
      if (!d) throw new SimCommandError(`no device "${id}"`, 404);
      return d;
    };
    const sim = {
      devices: all,
      skipped: [],
      device,
      command: async (line: string) => {
        const [id, ...rest] = line.trim().split(/\s+/);
        return device(id ?? '').command(rest);
      },
    } as unknown as StationSimulator;
    control = await startHttpControl(sim, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await control.stop();
  });

  function send(method: string, path: string, body: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: control.port, method, path, headers: { 'content-length': body.length, 'content-type': 'application/json' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it(
    'any method, path and body: a JSON answer with a client or success status, and the API keeps serving',
    async () => {
      const segment = fc.oneof(fc.constantFrom('devices', 'commands', 'cabinet-1', 'lock-1', 'nope', '%', '%E0%A4%A', '%00', '..', '%2F'), fc.stringMatching(/^[A-Za-z0-9%._~-]{0,10}$/));
      const path = fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`);
      const body = fc.oneof(
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
        fc.oneof(fc.string({ maxLength: 40 }), words.map((w) => w.join(' '))).map((command) => Buffer.from(JSON.stringify({ command }))),
        fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v))),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), path, body, async (method, p, b) => {
          const res = await send(method, p, b);
          expect(() => JSON.parse(res.body) as unknown).not.toThrow();
          expect([200, 400, 404]).toContain(res.status);
        }),
        settings(250, { timeout: 5_000 }),
      );
      expect((await send('GET', '/devices', Buffer.alloc(0))).status).toBe(200);
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Shrunk counterexamples: both threw before the handler's try and were answered 500 INTERNAL.
  it.each(['/%', '//'])('a malformed request target (%s) is a 400 with a JSON error', async (target) => {
    const res = await send('GET', target, Buffer.alloc(0));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: 'SIM_COMMAND' } });
  });
});
