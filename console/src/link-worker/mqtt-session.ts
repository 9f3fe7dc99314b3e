import mqtt, { type MqttClient } from 'mqtt';
import { StaleRetainedFilter } from '../../../cloud-bridge/stale-retained-filter.js';
import type { FailReason } from '../i18n/chrome-text.js';
import { fleetTopics, type Credentials, type LinkState } from './link-protocol.js';

export interface SessionHandlers {
  /** A fleet message (state topics, the watched station's events). */
  message(topic: string, payload: Uint8Array): void;
  /** A message on a topic `listen` was asked for (an operator's reply topic). */
  own(topic: string, payload: Uint8Array): void;
  state(s: LinkState): void;
}

export interface SessionOptions {
  /** How long a connected link may see no station status before it says the prefix is empty. */
  quietMs: number;
  /** How long a WebSocket may take to be answered with a CONNACK. */
  connectTimeoutMs: number;
}

/** CONNACK codes that mean "not you": 3.1.1's 4 and 5, MQTT 5's 0x86 and 0x87. */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87]);

/**
 * One MQTT.js connection over WebSocket and what it tells about itself: the console's link to
 * the broker, run in the link's Web Worker (link-worker.ts) or, where there is none, on the page.
 * It knows nothing of the page; broker-link.ts is the page's side.
 *
 * A browser does not say why a WebSocket failed (the error event has no reason, the close code is
 * 1006 for a refused port, a failed TLS handshake and an HTTP 404 alike), so the session watches
 * the socket itself (MQTT.js' `createWebsocket`) and, when it never opened, asks the same address
 * once over plain HTTP(S): an answer means a web server is there that would not upgrade (a wrong
 * path), no answer means nothing listens (ws://) or TLS failed (wss://).
 */
export class MqttSession {
  private client: MqttClient | undefined;
  private eventsTopic: string | undefined;
  private quietTimer: ReturnType<typeof setTimeout> | undefined;
  private prefix = '';
  private sawStatus = false;
  private lastFailure: { reason: FailReason; detail?: string } | undefined;
  /** Topics an operator's request listens on (its reply topic): theirs, not the fleet view's. */
  private readonly own = new Set<string>();
  private options: SessionOptions = { quietMs: 5000, connectTimeoutMs: 10_000 };

  constructor(private readonly handlers: SessionHandlers) {}

  connect(c: Credentials, clientId: string, options: SessionOptions): void {
    this.close();
    this.options = options;
    this.handlers.state({ state: 'connecting' });
    this.prefix = c.prefix;
    this.sawStatus = false;
    this.lastFailure = undefined;
    let attempt = { opened: false, connacked: false, failed: false };
    const client = mqtt.connect(c.url, {
      // 3.1.1 works on every broker the contract names, the embedded aedes included.
      protocolVersion: 4,
      clientId,
      clean: true,
      reconnectPeriod: 3000,
      connectTimeout: this.options.connectTimeoutMs,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
      createWebsocket: (url: string, protocols: string[]) => {
        const socket = new WebSocket(url, protocols);
        const seen = { opened: false, connacked: false, failed: false };
        attempt = seen;
        socket.addEventListener('open', () => (seen.opened = true));
        return socket;
      },
    });
    this.client = client;
    // A live state can reach us before the retained one it replaced, during the fleet's load.
    const fresh = StaleRetainedFilter.on(client);
    client.on('connect', () => {
      attempt.connacked = true;
      this.lastFailure = undefined;
      this.handlers.state({ state: 'connected' });
      // QoS 0 for state: each retained topic is replaced whole by the next, so a lost update costs
      // nothing that the next one does not repair, and 60,000 PUBACKs are saved on a fleet load.
      client.subscribe(fleetTopics(c.prefix), { qos: 0 }, (err, granted) => {
        if (client !== this.client) return;
        const refused = granted?.find((g) => g.qos === 128);
        if (err || refused) {
          this.fail({ reason: 'subscribe', detail: err?.message ?? refused?.topic }, false);
          return;
        }
        this.watchQuiet();
      });
      if (this.eventsTopic) client.subscribe(this.eventsTopic, { qos: 1 });
      // A clean session forgets subscriptions: a reply topic still waited on is asked for again.
      for (const topic of this.own) client.subscribe(topic, { qos: 1 });
    });
    client.on('reconnect', () => {
      if (client === this.client) this.handlers.state({ state: 'reconnecting', ...this.lastFailure });
    });
    client.on('error', (err: Error & { code?: unknown }) => {
      if (client !== this.client) return;
      attempt.failed = true;
      if (typeof err.code === 'number') {
        // A CONNACK refusal: MQTT.js stops reconnecting (reconnectOnConnackError is off).
        this.fail({ reason: AUTH_CODES.has(err.code) ? 'auth' : 'broker', detail: err.message }, false);
      } else if (/connack timeout/i.test(err.message)) {
        this.fail({ reason: 'timeout', detail: err.message }, true);
      } else {
        attempt.failed = false;
      }
    });
    client.on('close', () => {
      if (client !== this.client) return;
      this.stopQuiet();
      const seen = attempt;
      if (seen.connacked || seen.failed) return;
      if (seen.opened) this.fail({ reason: 'closed' }, true);
      else void this.probe(c.url).then((reason) => client === this.client && !attempt.connacked && this.fail({ reason }, true));
    });
    client.on('message', (topic, payload, packet) => {
      if (this.own.has(topic)) {
        this.handlers.own(topic, payload);
        return;
      }
      if (!fresh.take(topic, packet.retain)) return;
      if (!this.sawStatus && isStatusTopic(this.prefix, topic)) {
        this.sawStatus = true;
        this.stopQuiet();
      }
      this.handlers.message(topic, payload);
    });
  }

  /** Follows one station's `S/events` (undefined: none). */
  watchEvents(topic: string | undefined): void {
    if (topic === this.eventsTopic) return;
    if (this.eventsTopic && this.client?.connected) this.client.unsubscribe(this.eventsTopic);
    this.eventsTopic = topic;
    if (topic && this.client?.connected) this.client.subscribe(topic, { qos: 1 });
  }

  connected(): boolean {
    return this.client?.connected === true;
  }

  /** QoS 1, never retained (a station refuses retained requests); rejects at once when down. */
  publish(topic: string, payload: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1, retain: false }, (err) => (err ? reject(err) : resolve())));
  }

  /** Listens on one exact topic for `handlers.own`; resolves after SUBACK. */
  listen(topic: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    if (/[+#]/.test(topic)) return Promise.reject(new Error(`not an exact topic: ${topic}`));
    this.own.add(topic);
    return new Promise((resolve, reject) =>
      client.subscribe(topic, { qos: 1 }, (err, granted) => {
        if (err || granted?.some((g) => g.qos === 128)) {
          this.unlisten(topic);
          reject(err ?? new Error(`subscription refused: ${topic}`));
        } else resolve();
      }),
    );
  }

  unlisten(topic: string): void {
    if (!this.own.delete(topic)) return;
    if (this.client?.connected) this.client.unsubscribe(topic);
  }

  close(): void {
    this.own.clear();
    this.stopQuiet();
    this.client?.end(true);
    this.client = undefined;
    this.handlers.state({ state: 'closed' });
  }

  private fail(failure: { reason: FailReason; detail?: string | undefined }, retrying: boolean): void {
    this.lastFailure = failure.detail === undefined ? { reason: failure.reason } : { reason: failure.reason, detail: failure.detail };
    this.handlers.state({ state: 'error', ...this.lastFailure, retrying });
  }

  /** Retained statuses come first after SUBACK; silence after that means an empty prefix. */
  private watchQuiet(): void {
    this.stopQuiet();
    if (this.sawStatus) return;
    this.quietTimer = setTimeout(() => {
      if (!this.sawStatus) this.handlers.state({ state: 'no-stations', prefix: this.prefix, seconds: Math.round(this.options.quietMs / 1000) });
    }, this.options.quietMs);
  }

  private stopQuiet(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
  }

  /** Once, for a socket that never opened: is any web server answering at that address? */
  private async probe(url: string): Promise<FailReason> {
    const secure = url.startsWith('wss:');
    if (await answers(url.replace(/^ws/, 'http'))) return 'closed';
    // A failed TLS handshake and a refused port fail the same way here; wss:// that fails is far
    // more often a certificate the browser does not trust, or wss:// to a plain port, than nothing.
    return secure ? 'tls' : 'refused';
  }
}

/** Whether an HTTP request to `url` gets any answer; an opaque one (no-cors) is enough. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { mode: 'no-cors', signal: AbortSignal.timeout(2500) });
    return true;
  } catch (err) {
    // Still waiting after 2.5 s: the port took the connection (a refused one fails at once) but
    // says nothing over HTTP, as a bare WebSocket server may.
    return err instanceof DOMException && err.name === 'TimeoutError';
  }
}

function isStatusTopic(prefix: string, topic: string): boolean {
  if (!topic.startsWith(`${prefix}/`) || !topic.endsWith('/status')) return false;
  return topic.split('/').length === prefix.split('/').length + 2;
}
