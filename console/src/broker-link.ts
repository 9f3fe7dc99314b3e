import { forEachMessage, type Credentials, type FromWorker, type LinkState, type ToWorker } from './link-worker/link-protocol.js';

export { fleetTopics, type Credentials, type LinkState } from './link-worker/link-protocol.js';

export interface BrokerLinkHandlers {
  message(topic: string, payload: Uint8Array): void;
  state(s: LinkState): void;
}

export interface BrokerLinkOptions {
  /** How long a connected link may see no station status before it says the prefix is empty. */
  quietMs?: number;
  /** How long a WebSocket may take to be answered with a CONNACK. */
  connectTimeoutMs?: number;
}

type Tagged = FromWorker & { generation: number };

/**
 * The console's one MQTT over WebSocket connection, with the operator's own credentials, so the
 * broker's ACL decides what this operator may see. Events are subscribed to for one station at
 * a time: the fleet's whole event stream is not something a browser should carry.
 *
 * The connection itself (MQTT.js, the socket, why it failed: link-worker/mqtt-session.ts) runs in
 * a dedicated Web Worker, so that receiving a fleet load does not take the page's main thread;
 * this is the page's side of it. Fleet messages arrive in batches, about one per frame, and are
 * handed to `handlers.message` one by one, in order. Each connect and close starts a new
 * generation: anything the worker sent for an older one is dropped, so a message of the last
 * connection never lands in the next connection's fleet.
 */
export class BrokerLink {
  private worker: Worker | undefined;
  private generation = 0;
  private id: string | undefined;
  private up = false;
  /** Topics an operator's request listens on (its reply topic): theirs, not the fleet view's. */
  private readonly own = new Map<string, (payload: Uint8Array, topic: string) => void>();
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private seq = 0;
  private readonly quietMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly handlers: BrokerLinkHandlers,
    options: BrokerLinkOptions = {},
  ) {
    this.quietMs = options.quietMs ?? 5000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  connect(c: Credentials): void {
    this.close();
    this.handlers.state({ state: 'connecting' });
    this.id = `console-${Math.random().toString(36).slice(2, 10)}`;
    this.send({ type: 'connect', credentials: c, clientId: this.id, quietMs: this.quietMs, connectTimeoutMs: this.connectTimeoutMs }, ++this.generation);
  }

  /** Follows one station's `S/events` (undefined: none). */
  watchEvents(topic: string | undefined): void {
    this.send({ type: 'watch-events', topic }, this.generation);
  }

  /** The MQTT client id of the current connection: an operator's reply topic is named after it. */
  clientId(): string | undefined {
    return this.id;
  }

  /**
   * Sends one request, QoS 1, never retained (a station refuses retained requests). Resolves once
   * the broker took it; rejects at once when the link is down, so an action never waits on a
   * reconnect the operator cannot see.
   */
  publish(topic: string, payload: string): Promise<void> {
    if (!this.up) return Promise.reject(new Error('not connected'));
    return this.ask((id) => ({ type: 'publish', id, topic, payload }));
  }

  /**
   * Listens on one exact topic (a reply topic, no wildcards): its messages go to `onMessage`, not
   * to the fleet view. Resolves after SUBACK, so a request sent then cannot miss its reply; the
   * returned function stops listening.
   */
  subscribe(topic: string, onMessage: (payload: Uint8Array, topic: string) => void): Promise<() => void> {
    if (!this.up) return Promise.reject(new Error('not connected'));
    if (/[+#]/.test(topic)) return Promise.reject(new Error(`not an exact topic: ${topic}`));
    this.own.set(topic, onMessage);
    const stop = (): void => {
      if (this.own.get(topic) !== onMessage) return;
      this.own.delete(topic);
      this.send({ type: 'unlisten', topic }, this.generation);
    };
    return this.ask((id) => ({ type: 'listen', id, topic })).then(
      () => stop,
      (err: unknown) => {
        stop();
        throw err;
      },
    );
  }

  close(): void {
    this.own.clear();
    this.up = false;
    this.id = undefined;
    for (const w of this.waiting.values()) w.reject(new Error('closed'));
    this.waiting.clear();
    if (this.worker) this.send({ type: 'close' }, ++this.generation);
    this.handlers.state({ state: 'closed' });
  }

  private ask(request: (id: number) => ToWorker): Promise<void> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.send(request(id), this.generation);
    });
  }

  /** The worker is started on first use, not by the constructor. */
  private send(m: ToWorker, generation: number): void {
    if (!this.worker) {
      this.worker = new Worker(new URL('./link-worker/link-worker.ts', import.meta.url), { type: 'module', name: 'broker-link' });
      this.worker.addEventListener('message', (e: MessageEvent<Tagged>) => this.receive(e.data));
      // A worker that failed to load or threw would otherwise leave the page saying "connecting".
      this.worker.addEventListener('error', (e: ErrorEvent) => {
        this.up = false;
        this.handlers.state({ state: 'error', reason: 'broker', detail: `link worker: ${e.message}`, retrying: false });
      });
    }
    this.worker.postMessage({ ...m, generation });
  }

  private receive(m: Tagged): void {
    if (m.type === 'done') {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new Error(m.error));
      return;
    }
    if (m.generation !== this.generation) return;
    switch (m.type) {
      case 'messages':
        forEachMessage(m, (topic, payload) => this.handlers.message(topic, payload));
        break;
      case 'own':
        this.own.get(m.topic)?.(m.payload, m.topic);
        break;
      case 'state':
        this.up = m.connected;
        this.handlers.state(m.state);
        break;
    }
  }
}
