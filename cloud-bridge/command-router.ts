import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { CommandError, type AccessCommandName, type CommandContext, type CommandHandler } from './command-handler.js';
import { COMMAND_NAMES, commandSchemas, type CommandName, type SnapshotResult } from './contract-schemas.js';

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
  protocolVersion: 4 | 5;
  snapshot: () => SnapshotResult;
  /** The access logic; without one, access commands are refused with FORBIDDEN. */
  handler?: CommandHandler | undefined;
  log: Logger;
  now?: () => Date;
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

  constructor(private readonly options: CommandRouterOptions) {
    this.now = options.now ?? (() => new Date());
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
    let body: unknown;
    let parseError: string | undefined;
    try {
      // An empty payload is an empty request (`mosquitto_pub -n`), not a broken one.
      body = payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'));
    } catch (err) {
      parseError = `payload is not JSON: ${(err as Error).message}`;
    }
    const fields = isRecord(body) ? body : {};
    const reply: Reply = {
      topic: validTopic(props?.responseTopic) ?? validTopic(fields['replyTo']),
      correlationData: props?.correlationData,
      correlationId: typeof fields['correlationId'] === 'string' ? fields['correlationId'] : undefined,
    };
    let outcome: Outcome;
    try {
      outcome = await this.run(name, body, parseError, receivedAt, props?.messageExpiryInterval);
    } catch (err) {
      if (err instanceof CommandError) outcome = { ok: false, error: { code: err.code, message: err.message } };
      else {
        this.options.log.error({ command: name, err }, 'command failed');
        outcome = { ok: false, error: { code: 'INTERNAL', message: 'internal error; see the gateway log' } };
      }
    }
    const level = outcome.ok ? 'info' : 'warn';
    this.options.log[level]({ command: name, ok: outcome.ok, code: outcome.ok ? undefined : outcome.error.code, replyTo: reply.topic }, 'command');
    if (!reply.topic) {
      this.options.log.warn({ command: name }, 'command names no reply topic (responseTopic or replyTo); result not sent');
      return;
    }
    const message = { ...outcome, ...(reply.correlationId !== undefined ? { correlationId: reply.correlationId } : {}) };
    const properties = reply.correlationData && this.options.protocolVersion === 5 ? { correlationData: reply.correlationData } : undefined;
    await new Promise<void>((resolve) => {
      client.publish(reply.topic as string, JSON.stringify(message), { qos: 1, retain: false, ...(properties ? { properties } : {}) }, (err) => {
        if (err) this.options.log.warn({ command: name, topic: reply.topic, err: err.message }, 'command reply not acknowledged');
        resolve();
      });
    });
  }

  private async run(name: string, body: unknown, parseError: string | undefined, receivedAt: Date, expirySeconds: number | undefined): Promise<Outcome> {
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
    if (name === 'snapshot') return { ok: true, result: { ...this.options.snapshot() } };
    const handler = this.options.handler;
    if (!handler) throw new CommandError('FORBIDDEN', `this station does not carry out ${name} commands yet (no access logic configured)`);
    const context: CommandContext = { deadline, protocolVersion: this.options.protocolVersion };
    return { ok: true, result: await handler.handle(name as AccessCommandName, parsed.data as never, context) };
  }
}

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as string[]).includes(name);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A topic a reply can be published to: non-empty, no wildcards, no NUL. */
function validTopic(t: unknown): string | undefined {
  return typeof t === 'string' && t.length > 0 && !/[+#\u0000]/.test(t) ? t : undefined;
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
