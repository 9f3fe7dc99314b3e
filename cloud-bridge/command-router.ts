import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { isRecord } from '../config/is-record.js';
import { CommandError, type AccessCommandName, type CommandContext, type CommandHandler } from './command-handler.js';
import { COMMAND_NAMES, commandSchemas, type CommandName, type SnapshotResult } from './contract-schemas.js';
import { FloodCounter } from './limits/flood-counter.js';
import { TokenBucket } from './limits/token-bucket.js';

/** The slice of an MQTT client that sends replies. */
export interface ReplyPublisher {
  publish(
    topic: string,
    payload: string,
    options: { qos: 1; retain: false; properties?: { correlationData?: Buffer } },
    callback: (err?: Error) => void,
  ): void;
}

export interface CommandRouterOptions {
  /** `S/cmd/`: everything after it is the command name. */
  commandPrefix: string;
  /** `S`: replies may not go to the station's own topics, except under `S/replies/`. */
  stationRoot: string;
  protocolVersion: 4 | 5;
  snapshot: () => SnapshotResult;
  /** The access logic; without one, access commands are refused with FORBIDDEN. */
  handler?: CommandHandler | undefined;
  log: Logger;
  now?: () => Date;
  monotonic?: () => number;
}

/**
 * A command's payload is a token (at most 4 KB) and a few short fields; more is refused unread.
 * Well below the packet limit, so the refusal can still be answered (MQTT 5 responseTopic).
 */
export const MAX_COMMAND_PAYLOAD_BYTES = 8 * 1024;

/** `snapshot` answers a 90-byte request with ~4.5 KB: a budget of its own, 10 a minute (burst 10). */
export const SNAPSHOTS_PER_MINUTE = 10;

/** Why a command was not carried out before it reached the command itself, for metrics. */
export type InboundRefusal = 'retained' | 'reply-topic' | 'oversize' | 'snapshot-rate';

export interface CommandCounts {
  /** Commands received, and not carried out, by reason. */
  refused: Readonly<Record<InboundRefusal, number>>;
}

interface Reply {
  topic: string | undefined;
  correlationData: Buffer | undefined;
  correlationId: string | undefined;
}

type Outcome = { ok: true; result: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };

/**
 * Answers `S/cmd/<name>`: MQTT 5 request/response (responseTopic, correlationData, message
 * expiry) and the 3.1.1 fallback in the payload (replyTo, correlationId, expiresAt). Whatever
 * arrives, the gateway replies with a contract code or logs why it cannot; it never throws.
 */
export class CommandRouter {
  private readonly now: () => Date;
  private readonly floods: FloodCounter;
  private readonly snapshots: TokenBucket;
  private readonly refused: Record<InboundRefusal, number> = { retained: 0, 'reply-topic': 0, oversize: 0, 'snapshot-rate': 0 };

  constructor(private readonly options: CommandRouterOptions) {
    this.now = options.now ?? (() => new Date());
    const monotonic = options.monotonic ?? (() => performance.now());
    this.floods = new FloodCounter(monotonic);
    this.snapshots = new TokenBucket(SNAPSHOTS_PER_MINUTE / 60, SNAPSHOTS_PER_MINUTE, monotonic);
  }

  /** What was refused since start, for metrics. */
  counts(): CommandCounts {
    return { refused: { ...this.refused } };
  }

  /** True if `topic` is a command topic (the caller routes other messages elsewhere). */
  accepts(topic: string): boolean {
    return topic.startsWith(this.options.commandPrefix);
  }

  /** Handles one request; resolves once the reply is handed to the client. */
  async handle(client: ReplyPublisher, topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const receivedAt = this.now();
    const name = topic.slice(this.options.commandPrefix.length);
    const props = packet.properties;
    if (packet.retain) {
      // A retained command is stored by the broker and handed to every (re)subscription: it would
      // run again after every restart. A command is a request of now, never state.
      this.refuse('retained', name, 'retained command not carried out (a command is never retained; clear it with an empty retained publish)');
      return;
    }
    let body: unknown;
    let parseError: string | undefined;
    if (payload.length > MAX_COMMAND_PAYLOAD_BYTES) {
      this.refused.oversize++;
      parseError = `payload of ${payload.length} bytes; a command takes at most ${MAX_COMMAND_PAYLOAD_BYTES}`;
    } else {
      try {
        // An empty payload is an empty request (`mosquitto_pub -n`), not a broken one.
        body = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
      } catch (err) {
        parseError = `payload is not JSON: ${(err as Error).message}`;
      }
    }
    const fields = isRecord(body) ? body : {};
    const named = props?.responseTopic ?? fields['replyTo'];
    const replyTopic = this.replyTopic(named);
    if (named !== undefined && replyTopic === undefined) {
      this.refuse('reply-topic', name, 'command names a reply topic the station does not publish to (a wildcard, empty, or its own topics outside replies/); not carried out', {
        replyTo: typeof named === 'string' ? named.slice(0, 200) : typeof named,
      });
      return;
    }
    const reply: Reply = {
      topic: replyTopic,
      correlationData: props?.correlationData,
      correlationId: typeof fields['correlationId'] === 'string' ? fields['correlationId'] : undefined,
    };
    let outcome: Outcome;
    try {
      outcome = await this.run(name, body, parseError, receivedAt, props?.messageExpiryInterval, replyBytes(reply, this.options.protocolVersion));
    } catch (err) {
      if (err instanceof CommandError) outcome = { ok: false, error: { code: err.code, message: err.message } };
      else {
        this.options.log.error({ command: name, err }, 'command failed');
        outcome = { ok: false, error: { code: 'INTERNAL', message: 'internal error; see the gateway log' } };
      }
    }
    if (!reply.topic) return this.logOutcome(name, outcome, reply.topic);
    const message = { ...outcome, correlationId: reply.correlationId };
    const properties = reply.correlationData && this.options.protocolVersion === 5 ? { correlationData: reply.correlationData } : undefined;
    await new Promise<void>((resolve) => {
      // Logged once the reply has gone (its PUBACK, or its failure), not before: pino writes to
      // stdout synchronously, and at the default level that line was time the requester waited for.
      const logged = (): void => this.logOutcome(name, outcome, reply.topic);
      const failed = (err: Error): void => {
        logged();
        // A reply topic the broker's ACL refuses (MQTT 5 PUBACK 0x87) fails every time: once a minute.
        const attempts = this.floods.note(`reply ${floodKey(name)}`);
        if (attempts !== undefined) this.options.log.warn({ command: name, topic: reply.topic, err: err.message, attempts }, 'command reply not acknowledged');
        resolve();
      };
      try {
        client.publish(reply.topic as string, JSON.stringify(message), { qos: 1, retain: false, ...(properties ? { properties } : {}) }, (err) => {
          if (err) return failed(err);
          logged();
          resolve();
        });
      } catch (err) {
        // MQTT.js throws, rather than calling back, on a client that is ending (a station stopping
        // or restarting into a revision): the requester gets no reply and retries, the station lives.
        failed(err as Error);
      }
    });
  }

  private async run(name: string, body: unknown, parseError: string | undefined, receivedAt: Date, expirySeconds: number | undefined, replyOverhead: number): Promise<Outcome> {
    if (!isCommandName(name)) throw new CommandError('BAD_REQUEST', `unknown command "${name}"; known: ${COMMAND_NAMES.join(', ')}`);
    if (parseError !== undefined) throw new CommandError('BAD_REQUEST', parseError);
    const parsed = commandSchemas[name].safeParse(body);
    if (!parsed.success) throw new CommandError('BAD_REQUEST', describeIssues(parsed.error.issues));
    const request = parsed.data as { expiresAt?: string };
    const expiresAt = request.expiresAt !== undefined ? new Date(request.expiresAt) : undefined;
    // The pattern lets `2026-13-45T99:99:99.999Z` through: an Invalid Date would disable every deadline.
    if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.toISOString() !== request.expiresAt)) {
      throw new CommandError('BAD_REQUEST', `expiresAt: "${request.expiresAt}" is not a real instant`);
    }
    const deadline = earliest(expirySeconds !== undefined ? new Date(receivedAt.getTime() + expirySeconds * 1000) : undefined, expiresAt);
    const now = this.now();
    if (deadline && now.getTime() > deadline.getTime()) {
      throw new CommandError('EXPIRED', `the request expired at ${deadline.toISOString()} (now ${now.toISOString()}); nothing was done`);
    }
    if (name === 'snapshot') {
      if (this.snapshots.take(1) === 0) {
        this.refused['snapshot-rate']++;
        throw new CommandError('BUSY', `at most ${SNAPSHOTS_PER_MINUTE} snapshots a minute; the retained topics carry the same state`);
      }
      return { ok: true, result: { ...this.options.snapshot() } };
    }
    const handler = this.options.handler;
    if (!handler) throw new CommandError('FORBIDDEN', `this station does not carry out ${name} commands yet (no access logic configured)`);
    const context: CommandContext = { deadline, protocolVersion: this.options.protocolVersion, replyOverheadBytes: replyOverhead };
    return { ok: true, result: await handler.handle(name as AccessCommandName, parsed.data as never, context) };
  }

  /**
   * Where a reply may go: a topic (no wildcard, no NUL, not empty), and inside the station's own
   * tree only under `S/replies/`: a reply on `S/status` or `S/events` would overwrite the
   * station's retained status or forge an event that consumers trust as the station's.
   * Topics outside the tree are the broker's to refuse (the fleet ACL does).
   */
  private replyTopic(t: unknown): string | undefined {
    if (typeof t !== 'string' || t.length === 0 || /[+#\u0000]/.test(t)) return undefined;
    const root = this.options.stationRoot;
    if (t === root || t.startsWith(`${root}/`)) return t.startsWith(`${root}/replies/`) && t.length > `${root}/replies/`.length ? t : undefined;
    return t;
  }

  /** Counted, and logged once a minute per reason with the count since: a flood is not a log flood. */
  private refuse(reason: InboundRefusal, command: string, message: string, detail: Record<string, unknown> = {}): void {
    this.refused[reason]++;
    const attempts = this.floods.note(`refused ${reason}`);
    if (attempts !== undefined) this.options.log.warn({ command: command.slice(0, 100), reason, attempts, ...detail }, message);
  }

  /**
   * One line per command carried out; refusals once a minute per command and code, with the
   * count since (junk at 250 a second was 500 journal lines a second).
   */
  private logOutcome(command: string, outcome: Outcome, replyTo: string | undefined): void {
    const unanswered = replyTo === undefined ? '; it names no reply topic (responseTopic or replyTo): result not sent' : '';
    if (outcome.ok) {
      this.options.log[replyTo === undefined ? 'warn' : 'info']({ command, ok: true, replyTo }, `command${unanswered}`);
      return;
    }
    const attempts = this.floods.note(`failed ${floodKey(command)} ${outcome.error.code}`);
    if (attempts === undefined) return;
    this.options.log.warn({ command: command.slice(0, 100), ok: false, code: outcome.error.code, replyTo, attempts }, `command refused${unanswered}`);
  }
}

/**
 * What a reply packet takes beyond its `result`: the topic, the MQTT 5 correlation data, the
 * 3.1.1 correlationId, and the envelope and headers (`{"ok":true,"result":…}`, fixed header,
 * packet id, properties) with room to spare. A result of up to MAX_PACKET_BYTES minus this fits.
 */
function replyBytes(reply: Reply, protocolVersion: 4 | 5): number {
  const topic = Buffer.byteLength(reply.topic ?? '');
  const data = protocolVersion === 5 ? (reply.correlationData?.length ?? 0) : 0;
  const id = reply.correlationId !== undefined ? Buffer.byteLength(JSON.stringify(reply.correlationId)) : 0;
  return topic + data + id + 128;
}

/** Flood keys by known command only: the topic's last level is the sender's to choose, without end. */
function floodKey(name: string): string {
  return isCommandName(name) ? name : '(unknown)';
}

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as string[]).includes(name);
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}
