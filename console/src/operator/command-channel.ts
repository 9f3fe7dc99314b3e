import type { CommandErrorCode } from '../../../cloud-bridge/contract-schemas.js';
import { LocalFailure, type LocalFailureCode } from './local-failure.js';

/*
 * Commands from the console to one station over the operator's own broker link, MQTT 3.1.1: the
 * request names its reply topic (`<prefix>/<station>/replies/<client id>`, which the fleet ACL lets
 * an operator read) and a correlation id in the payload (docs/mqtt-topics.md "Commands"). One reply
 * topic per station per connection, subscribed before the first request and kept; replies are
 * matched by correlation id, and one that does not come in time is a local TIMEOUT, not a hang.
 *
 * Tests: test/console/console-site.ts `startOperatorStation(dir, brokerUrl)` starts the demo
 * station with its access section and a trusted key the test made (B2's tests use it as B1's).
 */

/** Every code a reply can carry: the station's (the command catalogue's) and the console's own. */
export type ReplyCode = CommandErrorCode | LocalFailureCode;

export type Reply = { ok: true; result: Record<string, unknown> } | { ok: false; error: { code: ReplyCode; message: string }; local?: true };

/** What the channel needs of the broker link (console/src/broker-link.ts). */
export interface CommandLink {
  publish(topic: string, payload: string): Promise<void>;
  subscribe(exactTopic: string, onMessage: (payload: Uint8Array, topic: string) => void): Promise<() => void>;
  clientId(): string | undefined;
}

export interface RequestOptions {
  timeoutMs?: number;
}

interface Waiting {
  resolve(r: Reply): void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class CommandChannel {
  /** Reply topic → its subscription, for the connection (client id) it was made on. */
  private readonly topics = new Map<string, { clientId: string; ready: Promise<unknown> }>();
  private readonly waiting = new Map<string, Waiting>();
  private seq = 0;

  constructor(
    private readonly link: CommandLink,
    /** The contract's topic prefix of the connection in use. */
    private readonly prefix: () => string,
  ) {}

  /** Sends `S/cmd/<name>` with `body` and resolves with the reply; never rejects. */
  async request(stationId: string, name: string, body: Record<string, unknown>, options: RequestOptions = {}): Promise<Reply> {
    const clientId = this.link.clientId();
    if (!clientId) return local(new LocalFailure('NOT_CONNECTED', 'not connected'));
    const base = `${this.prefix()}/${stationId}`;
    const replyTo = `${base}/replies/${clientId}`;
    try {
      await this.listen(replyTo, clientId);
    } catch (err) {
      return local(new LocalFailure('NOT_CONNECTED', (err as Error).message));
    }
    const correlationId = `${clientId}-${Date.now().toString(36)}-${++this.seq}`;
    const reply = new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        resolve(local(new LocalFailure('TIMEOUT', `no reply from ${stationId} within ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s`)));
      }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      this.waiting.set(correlationId, { resolve, timer });
    });
    try {
      await this.link.publish(`${base}/cmd/${name}`, JSON.stringify({ ...body, replyTo, correlationId }));
    } catch (err) {
      this.settle(correlationId, local(new LocalFailure('NOT_CONNECTED', (err as Error).message)));
    }
    return reply;
  }

  /** Ends every request still waiting (the page is leaving, or the connection changed). */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, local(new LocalFailure('NOT_CONNECTED', 'closed')));
    this.topics.clear();
  }

  private listen(topic: string, clientId: string): Promise<unknown> {
    const known = this.topics.get(topic);
    // A new connection has a new client id (and so a new topic); the old entry is only stale.
    if (known?.clientId === clientId) return known.ready;
    const ready = this.link.subscribe(topic, (payload) => this.onReply(payload));
    this.topics.set(topic, { clientId, ready });
    ready.catch(() => this.topics.delete(topic));
    return ready;
  }

  private onReply(payload: Uint8Array): void {
    let msg: unknown;
    try {
      msg = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const m = msg as { ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown }; correlationId?: unknown };
    if (typeof m.correlationId !== 'string' || !this.waiting.has(m.correlationId)) return;
    if (m.ok === true && typeof m.result === 'object' && m.result !== null) this.settle(m.correlationId, { ok: true, result: m.result as Record<string, unknown> });
    else if (m.ok === false && typeof m.error?.code === 'string') this.settle(m.correlationId, { ok: false, error: { code: m.error.code as ReplyCode, message: typeof m.error.message === 'string' ? m.error.message : '' } });
    else this.settle(m.correlationId, local(new LocalFailure('BAD_REPLY', 'a reply of no known shape')));
  }

  private settle(id: string, reply: Reply): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(reply);
  }
}

/** A failure found here, as the reply the page words (`new LocalFailure(code, …)`: the error catalogue's check reads the code there). */
function local(failure: LocalFailure): Reply {
  return { ok: false, error: { code: failure.code, message: failure.message }, local: true };
}

/** A LocalFailure thrown before a request (no pass, signing failed) as a reply the page words. */
export function failureReply(err: unknown): Reply {
  if (err instanceof LocalFailure) return local(err);
  return local(new LocalFailure('SIGN_FAILED', (err as Error)?.message ?? String(err)));
}
