import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeviceError } from '../../device-drivers/device-error.js';
import { BoundedLineSplitter, type DroppedLine } from '../../device-drivers/line/bounded-line-splitter.js';
import { MAX_FRAME_BYTES, MAX_SEQ, checksum, decodeFrame, encodeFrame } from '../../device-drivers/line/line-frame.js';
import { LineRequestClient } from '../../device-drivers/line/line-request-client.js';
import type { LinePort } from '../../device-drivers/line/serial-line-port.js';
import { PROPERTY_TIMEOUT_MS, chunk, settings, wireBytes } from './fuzz-settings.js';

/* Line framing, checksum and request matching of the door lock protocol (specs/devices.md §1). */

interface SplitResult {
  lines: string[];
  dropped: DroppedLine[];
}

/** Feeds the chunks to a splitter and collects what it emits, through the end of the stream. */
async function split(chunks: readonly Buffer[], maxLength: number): Promise<SplitResult & { counted: number }> {
  const splitter = new BoundedLineSplitter({ maxLength, encoding: 'latin1' });
  const lines: string[] = [];
  const dropped: DroppedLine[] = [];
  splitter.on('data', (line: string) => lines.push(line));
  splitter.on('dropped', (info: DroppedLine) => dropped.push(info));
  const ended = new Promise<void>((resolve, reject) => {
    splitter.on('end', resolve);
    splitter.on('error', reject);
  });
  for (const c of chunks) splitter.write(c);
  splitter.end();
  await ended;
  return { lines, dropped, counted: splitter.dropped };
}

/** The specification of the splitter, on the whole stream at once: what it must emit and drop. */
function referenceSplit(bytes: Uint8Array, maxLength: number): SplitResult {
  const text = Buffer.from(bytes).toString('latin1');
  const segments = text.split(/\r\n|\r|\n/);
  const tail = segments.pop() ?? '';
  const lines: string[] = [];
  const dropped: DroppedLine[] = [];
  for (const s of segments) {
    if (s.length > maxLength) dropped.push({ reason: 'too-long', bytes: s.length });
    else if (s.length > 0) lines.push(s);
  }
  if (tail.length > maxLength) dropped.push({ reason: 'too-long', bytes: tail.length });
  else if (tail.length > 0) dropped.push({ reason: 'unterminated', bytes: tail.length });
  return { lines, dropped };
}

describe('BoundedLineSplitter under arbitrary byte streams', () => {
  it(
    'emits exactly the lines of the reference split, whatever the chunk boundaries; never a line over maxLength; counts every drop',
    async () => {
      await fc.assert(
        fc.asyncProperty(wireBytes(600), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), async (bytes, cuts, maxLength) => {
          const got = await split(chunk(bytes, cuts), maxLength);
          const want = referenceSplit(bytes, maxLength);
          expect(got.lines).toEqual(want.lines);
          expect(got.dropped).toEqual(want.dropped);
          expect(got.counted).toBe(want.dropped.length);
          for (const line of got.lines) expect(line.length).toBeLessThanOrEqual(maxLength);
        }),
        settings(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'a device that never sends a line end costs one bounded buffer and one counted drop',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0x20, max: 0xff }), { minLength: 1, maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 20 }), async (raw, cuts) => {
          const bytes = Uint8Array.from(raw);
          const got = await split(chunk(bytes, cuts), 64);
          expect(got.lines).toEqual([]);
          expect(got.dropped).toEqual([{ reason: bytes.length > 64 ? 'too-long' : 'unterminated', bytes: bytes.length }]);
        }),
        settings(100),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

const verbArb = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,11}$/);
const argArb = fc.stringMatching(/^[\x21-\x29\x2B-\x7E]{1,20}$/);
const frameArb = fc.record({ seq: fc.integer({ min: 0, max: MAX_SEQ }), verb: verbArb, args: fc.array(argArb, { maxLength: 12 }) });

function decodeOrCode(line: string): { frame: ReturnType<typeof decodeFrame> } | { code: string } {
  try {
    return { frame: decodeFrame(line) };
  } catch (err) {
    if (!(err instanceof DeviceError)) throw err;
    return { code: err.code };
  }
}

describe('line frames', () => {
  it(
    'decode(encode(frame)) is the frame, for every valid frame that fits in 256 bytes (and encode refuses the rest)',
    () => {
      fc.assert(
        fc.property(frameArb, fc.constantFrom('\r\n', '\n', '\r', ''), ({ seq, verb, args }, ending) => {
          const size = Buffer.byteLength(`${[seq, verb, ...args].join(' ')}*00\r\n`);
          if (size > MAX_FRAME_BYTES) {
            expect(() => encodeFrame(seq, verb, args)).toThrow(DeviceError);
            return;
          }
          const wire = encodeFrame(seq, verb, args);
          expect(wire.endsWith('\r\n')).toBe(true);
          expect(decodeFrame(wire.slice(0, -2) + ending)).toEqual({ seq, verb, args });
        }),
        settings(1000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'any single-bit flip of a framed line is rejected (CHECKSUM or PROTOCOL) or parses to the same frame',
    () => {
      fc.assert(
        fc.property(frameArb, fc.nat(), fc.integer({ min: 0, max: 7 }), ({ seq, verb, args }, at, bit) => {
          let wire: string;
          try {
            wire = encodeFrame(seq, verb, args);
          } catch {
            return; // too long for the protocol: covered above
          }
          const bytes = Buffer.from(wire.slice(0, -2), 'utf8');
          const i = at % bytes.length;
          bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
          // The gateway reads the line as UTF-8; a flipped high bit becomes U+FFFD.
          const outcome = decodeOrCode(bytes.toString('utf8'));
          if ('frame' in outcome) expect(outcome.frame).toEqual({ seq, verb, args });
          else expect(['CHECKSUM', 'PROTOCOL']).toContain(outcome.code);
        }),
        settings(1500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'decodeFrame on arbitrary text throws only DeviceError CHECKSUM/PROTOCOL, and what it accepts re-encodes to an equivalent frame',
    () => {
      const text = fc.oneof(
        fc.string({ maxLength: 300, unit: 'binary' }),
        // Near misses: a well-formed body with a checksum that may or may not fit.
        fc.tuple(fc.string({ maxLength: 60 }), fc.constantFrom('', '*', '*0', '*ZZ', '*00')).map(([body, tail]) => `${body}${tail}`),
        fc.string({ maxLength: 60 }).map((body) => `${body}*${checksum(body)}`),
        fc.string({ maxLength: 60, unit: 'binary' }).map((body) => `${body}*${checksum(body).toLowerCase()}\r\n`),
      );
      fc.assert(
        fc.property(text, (line) => {
          const outcome = decodeOrCode(line);
          if ('code' in outcome) {
            expect(['CHECKSUM', 'PROTOCOL']).toContain(outcome.code);
            return;
          }
          const { seq, verb, args } = outcome.frame;
          expect(decodeFrame(encodeFrame(seq, verb, args))).toEqual(outcome.frame);
        }),
        settings(1500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/* Request/reply matching: a scripted controller that answers each request with a list of frames. */

type Action = 'good' | 'err' | 'stale' | 'ahead' | 'corrupt' | 'garbage' | 'event';

class ScriptedPort extends EventEmitter implements LinePort {
  readonly isOpen = true;
  private request = 0;
  private readonly seqs: number[] = [];

  constructor(private readonly plans: readonly Action[][]) {
    super();
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  write(text: string): Promise<void> {
    const frame = decodeFrame(text);
    const index = this.request++;
    this.seqs.push(frame.seq);
    const tag = frame.args[0] ?? '?';
    const lines = (this.plans[index] ?? []).map((action) => this.line(action, frame.seq, tag));
    // The controller answers after the write settles, as a real line would.
    setImmediate(() => {
      for (const line of lines) this.emit('line', line);
    });
    return Promise.resolve();
  }

  private line(action: Action, seq: number, tag: string): string {
    switch (action) {
      case 'good':
        return encodeFrame(seq, 'OK', [tag]).trimEnd();
      case 'err':
        return encodeFrame(seq, 'ERR', ['BADDOOR']).trimEnd();
      // A late reply to an earlier request, or one for a seq nobody sent yet: never this request's.
      case 'stale':
        return encodeFrame(this.seqs.length > 1 ? (this.seqs[this.seqs.length - 2] ?? 1) : MAX_SEQ, 'OK', ['stale']).trimEnd();
      case 'ahead':
        return encodeFrame((seq % MAX_SEQ) + 1, 'OK', ['ahead']).trimEnd();
      case 'corrupt': {
        const good = encodeFrame(seq, 'OK', [tag]).trimEnd();
        return `${good.slice(0, -2)}${good.endsWith('00') ? '01' : '00'}`;
      }
      case 'garbage':
        return `${seq} OK ${tag} no checksum`;
      case 'event':
        return encodeFrame(0, 'EVT', ['TAMPER']).trimEnd();
    }
  }
}

describe('LineRequestClient seq matching', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(
    'a request resolves only with its own reply; damage, strays and events never settle it with another\'s',
    async () => {
      const action = fc.constantFrom<Action>('good', 'err', 'stale', 'ahead', 'corrupt', 'garbage', 'event');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(action, { maxLength: 4 }), { minLength: 1, maxLength: 6 }), async (plans) => {
          vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
          const port = new ScriptedPort(plans);
          const client = new LineRequestClient({ port, log: pino({ level: 'silent' }) });
          const outcomes = plans.map((_, i) =>
            client.request('STATUS', [`tag${i}`], 100).then(
              (reply) => ({ ok: true as const, reply }),
              (err: unknown) => ({ ok: false as const, code: err instanceof DeviceError ? err.code : String(err) }),
            ),
          );
          let settled = 0;
          for (const o of outcomes) void o.then(() => settled++);
          for (let guard = 0; settled < outcomes.length && guard < 100; guard++) {
            await new Promise((resolve) => setImmediate(resolve));
            await vi.advanceTimersByTimeAsync(25);
          }
          const results = await Promise.all(outcomes);
          plans.forEach((plan, i) => {
            const first = plan.find((a) => a === 'good' || a === 'err');
            const result = results[i];
            if (first === 'good') expect(result).toEqual({ ok: true, reply: { verb: 'OK', args: [`tag${i}`] } });
            else if (first === 'err') expect(result).toEqual({ ok: false, code: 'REFUSED' });
            else {
              const code = plan.includes('corrupt') ? 'CHECKSUM' : plan.includes('garbage') ? 'PROTOCOL' : 'TIMEOUT';
              expect(result).toEqual({ ok: false, code });
            }
          });
          client.dispose();
          vi.useRealTimers();
        }),
        settings(150),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
