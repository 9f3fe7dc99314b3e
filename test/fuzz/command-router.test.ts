import fc from 'fast-check';
import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { CommandError, type CommandHandler } from '../../cloud-bridge/command-handler.js';
import { CommandRouter } from '../../cloud-bridge/command-router.js';
import { COMMAND_ERROR_CODES, COMMAND_NAMES, commandSchemas, replySchema, type SnapshotResult } from '../../cloud-bridge/contract-schemas.js';
import { PROPERTY_TIMEOUT_MS, settings } from './fuzz-settings.js';

/*
 * Whatever arrives on a command topic, the router answers once with a contract reply, or logs a
 * drop when the request names nowhere to answer; it never throws and never runs a command that
 * failed its schema or its expiry.
 */

const PREFIX = 'stations/fz-1/cmd/';
const RECEIVED = Date.parse('2026-06-01T12:00:00.000Z');

const SNAPSHOT: SnapshotResult = {
  station: 'fz-1',
  ts: '2026-06-01T12:00:00.000Z',
  version: '0.1.0',
  bootId: '01J00000000000000000000000',
  devices: {},
  alarms: null,
  availability: null,
  outbox: { pending: 0 },
};

type HandlerMode = 'absent' | 'ok' | 'refuse' | 'crash' | 'throw-string';

interface Case {
  name: string;
  payload: Uint8Array;
  responseTopic: string | undefined;
  correlationData: Uint8Array | undefined;
  expirySeconds: number | undefined;
  elapsedMs: number;
  protocolVersion: 4 | 5;
  handler: HandlerMode;
  publishFails: boolean;
  retained: boolean;
}

const topicArb = fc.oneof(
  fc.constantFrom('replies/a', 'r', 'a/+/b', '#', 'x\u0000y', '', 'replies/é/😀'),
  // The station's own tree: only replies/<something> is a place to answer.
  fc.constantFrom('stations/fz-1/events', 'stations/fz-1/status', 'stations/fz-1', 'stations/fz-1/replies/', 'stations/fz-1/replies/ops-1', 'stations/fz-1/replies/+'),
  fc.string({ maxLength: 20 }),
);

const timestampLike = fc.oneof(
  fc.date({ min: new Date(RECEIVED - 3_600_000), max: new Date(RECEIVED + 3_600_000), noInvalidDate: true }).map((d) => d.toISOString()),
  // Matches the schema's pattern but names no real instant (month 13, hour 99), or rolls over (Feb 30).
  fc.constantFrom('2026-13-45T99:99:99.999Z', '2026-02-30T00:00:00.000Z', '0000-00-00T00:00:00.000Z', '9999-12-31T23:59:59.999Z', 'soon'),
);

/** Requests close to valid ones, with every field sometimes wrong, missing or extra. */
const requestArb = fc.record(
  {
    token: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null), fc.string({ minLength: 4097, maxLength: 4100 })),
    replyTo: fc.oneof(topicArb, fc.integer()),
    correlationId: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 257, maxLength: 260 }), fc.boolean()),
    expiresAt: fc.oneof(timestampLike, fc.integer()),
    device: fc.oneof(fc.constantFrom('cabinet-1', ''), fc.integer()),
    slot: fc.oneof(fc.integer({ min: -2, max: 30 }), fc.double(), fc.string({ maxLength: 3 })),
    enabled: fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1)),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

const payloadArb = fc.oneof(
  { weight: 4, arbitrary: requestArb.map((r) => utf8(JSON.stringify(r))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => utf8(JSON.stringify(v))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '"x"', '{', '{"replyTo":"r"', '\uFEFF{}', '{"__proto__":{"replyTo":"r"}}', '1e999').map(utf8) },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...COMMAND_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }),
  payload: payloadArb,
  responseTopic: fc.option(topicArb, { nil: undefined }),
  correlationData: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
  expirySeconds: fc.option(fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constant(0xffffffff)), { nil: undefined }),
  elapsedMs: fc.integer({ min: 0, max: 1_000_000 }),
  protocolVersion: fc.constantFrom<4 | 5>(4, 5),
  handler: fc.constantFrom<HandlerMode>('absent', 'ok', 'refuse', 'crash', 'throw-string'),
  publishFails: fc.boolean(),
  retained: fc.boolean(),
});

const ROOT = 'stations/fz-1';
const validTopic = (t: unknown): t is string =>
  typeof t === 'string' &&
  t.length > 0 &&
  !/[+#\u0000]/.test(t) &&
  (!(t === ROOT || t.startsWith(`${ROOT}/`)) || (t.startsWith(`${ROOT}/replies/`) && t.length > `${ROOT}/replies/`.length));

function parsedJson(payload: Uint8Array): unknown {
  if (payload.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function route(c: Case): Promise<{ published: Array<{ topic: string; payload: string }>; warnings: string[]; handled: number }> {
  const published: Array<{ topic: string; payload: string }> = [];
  const warnings: string[] = [];
  let handled = 0;
  const noop = (): void => undefined;
  const log = {
    info: noop,
    debug: noop,
    error: noop,
    warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? ''),
  } as unknown as Logger;
  const handler: CommandHandler | undefined =
    c.handler === 'absent'
      ? undefined
      : {
          handle: async (name, request) => {
            handled++;
            // The router hands over only what its schema accepted.
            expect(commandSchemas[name].safeParse(request).success).toBe(true);
            if (c.handler === 'refuse') throw new CommandError('BUSY', 'busy');
            if (c.handler === 'crash') throw new TypeError('boom');
            if (c.handler === 'throw-string') throw 'a string';
            return { done: name };
          },
        };
  // First call is the arrival, every later one is "now" after the request sat in a queue.
  let calls = 0;
  const now = (): Date => new Date(calls++ === 0 ? RECEIVED : RECEIVED + c.elapsedMs);
  const router = new CommandRouter({ commandPrefix: PREFIX, stationRoot: ROOT, protocolVersion: c.protocolVersion, snapshot: () => SNAPSHOT, handler, log, now });
  const packet = {
    cmd: 'publish',
    qos: 1,
    dup: false,
    retain: c.retained,
    topic: PREFIX + c.name,
    payload: Buffer.from(c.payload),
    ...(c.protocolVersion === 5
      ? {
          properties: {
            ...(c.responseTopic !== undefined ? { responseTopic: c.responseTopic } : {}),
            ...(c.correlationData !== undefined ? { correlationData: Buffer.from(c.correlationData) } : {}),
            ...(c.expirySeconds !== undefined ? { messageExpiryInterval: c.expirySeconds } : {}),
          },
        }
      : {}),
  } as IPublishPacket;
  const client = {
    publish(topic: string, payload: string, _options: unknown, callback: (err?: Error) => void) {
      published.push({ topic, payload });
      setImmediate(() => callback(c.publishFails ? new Error('connection closed') : undefined));
    },
  };
  await router.handle(client, PREFIX + c.name, Buffer.from(c.payload), packet);
  return { published, warnings, handled };
}

describe('CommandRouter under arbitrary requests', () => {
  it(
    'answers exactly once with a contract reply, or logs a drop when there is nowhere to answer',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const { published, warnings, handled } = await route(c);
          if (c.retained) {
            // A retained command is never carried out, nor answered.
            expect(published).toEqual([]);
            expect(handled).toBe(0);
            expect(warnings.some((w) => /retained/.test(w))).toBe(true);
            return;
          }
          const body = parsedJson(c.payload);
          const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
          const responseTopic = c.protocolVersion === 5 ? c.responseTopic : undefined;
          const named = responseTopic ?? fields['replyTo'];
          if (named !== undefined && !validTopic(named)) {
            // A reply topic that is no place to answer: nothing is done, and that is logged.
            expect(published).toEqual([]);
            expect(handled).toBe(0);
            expect(warnings.some((w) => /reply topic/.test(w))).toBe(true);
            return;
          }
          const replyTo = named;
          if (replyTo === undefined) {
            expect(published).toEqual([]);
            expect(warnings.some((w) => /no reply topic/.test(w))).toBe(true);
            return;
          }
          expect(published.length).toBe(1);
          const [reply] = published;
          expect(reply?.topic).toBe(replyTo);
          const message: unknown = JSON.parse(reply?.payload ?? '');
          expect(replySchema.safeParse(message).success).toBe(true);
          const m = message as { ok: boolean; error?: { code: string }; correlationId?: string };
          if (!m.ok) expect(COMMAND_ERROR_CODES).toContain(m.error?.code);
          if (typeof fields['correlationId'] === 'string') expect(m.correlationId).toBe(fields['correlationId']);
        }),
        settings(600, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'never hands an expired request (MQTT 5 message expiry or expiresAt) or an invalid one to the access logic',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const { handled, published } = await route({ ...c, handler: 'ok' });
          if (handled === 0) return;
          expect(handled).toBe(1);
          const now = RECEIVED + c.elapsedMs;
          if (c.protocolVersion === 5 && c.expirySeconds !== undefined) expect(now).toBeLessThanOrEqual(RECEIVED + c.expirySeconds * 1000);
          const body = parsedJson(c.payload) as Record<string, unknown>;
          const expiresAt = body['expiresAt'];
          if (typeof expiresAt === 'string') {
            // A deadline the router cannot read is no deadline it may ignore.
            expect(Number.isNaN(Date.parse(expiresAt))).toBe(false);
            expect(now).toBeLessThanOrEqual(Date.parse(expiresAt));
          }
          for (const p of published) expect(JSON.parse(p.payload)).toMatchObject({ ok: true });
        }),
        settings(600, { timeout: 5_000 }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

describe('CommandRouter regressions found by the properties', () => {
  const base: Case = {
    name: 'unlock',
    payload: utf8(''),
    responseTopic: undefined,
    correlationData: undefined,
    expirySeconds: undefined,
    elapsedMs: 0,
    protocolVersion: 4,
    handler: 'ok',
    publishFails: false,
    retained: false,
  };

  // Shrunk: {"token":" ","expiresAt":"2026-13-45T99:99:99.999Z"} passed the pattern, became an
  // Invalid Date deadline, and the request reached the access logic with a deadline nobody could check.
  it('an expiresAt that matches the pattern but is no real instant is BAD_REQUEST, not carried out', async () => {
    const payload = utf8(JSON.stringify({ token: ' ', expiresAt: '2026-13-45T99:99:99.999Z', replyTo: 'r' }));
    const { handled, published } = await route({ ...base, payload });
    expect(handled).toBe(0);
    expect(published.map((p) => JSON.parse(p.payload) as unknown)).toEqual([{ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('expiresAt') } }]);
  });

  it('such an expiresAt no longer hides an elapsed MQTT 5 message expiry', async () => {
    const payload = utf8(JSON.stringify({ token: 't', expiresAt: '2026-02-30T00:00:00.000Z' }));
    const { handled, published } = await route({ ...base, payload, protocolVersion: 5, responseTopic: 'r', expirySeconds: 1, elapsedMs: 5_000 });
    expect(handled).toBe(0);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]?.payload ?? '')).toMatchObject({ ok: false });
  });
});
