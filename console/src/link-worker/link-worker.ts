import { BatchBuilder, type FromWorker, type ToWorker } from './link-protocol.js';
import { MqttSession } from './mqtt-session.js';

/*
 * The console's broker connection in a dedicated Web Worker. A fleet load is one WebSocket
 * message per MQTT packet or more (aedes sends each packet in several), each a task for the thread
 * that owns the socket, plus MQTT.js' stream and parser work: here that is off the page's main
 * thread, which gets one batch per frame to apply and draws meanwhile.
 */

/** How long a batch may collect before it goes to the page: about a frame. */
const FLUSH_MS = 16;
/** A batch goes at once past this many messages, so one page task stays short. */
const FLUSH_COUNT = 2000;

interface WorkerScope {
  postMessage(message: FromWorker & { generation: number }, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<ToWorker & { generation: number }>) => void): void;
}
const scope = self as unknown as WorkerScope;

/** The page's connection count: what is posted carries it, the page drops an older one's. */
let generation = 0;
/** While the page's connect or close runs here: the page said those states itself, at once. */
let quiet = false;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage({ ...message, generation }, transfer);
}

const batch = new BatchBuilder();
let flushTimer: ReturnType<typeof setTimeout> | undefined;

function flush(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  const taken = batch.take();
  if (taken) post(taken, [taken.bytes]);
}

const session = new MqttSession(
  {
    message(topic, payload) {
      batch.add(topic, payload);
      if (batch.size >= FLUSH_COUNT) flush();
      else flushTimer ??= setTimeout(flush, FLUSH_MS);
    },
    own(topic, payload) {
      flush();
      // A copy: MQTT.js' payload may be a view into its parser's larger buffer.
      const copy = payload.slice();
      post({ type: 'own', topic, payload: copy }, [copy.buffer]);
    },
    state(state) {
      // What arrived before a state change is the page's before the change.
      flush();
      if (!quiet) post({ type: 'state', state, connected: session.connected() });
    },
  },
);

function done(id: number, error?: unknown): void {
  post(error === undefined ? { type: 'done', id } : { type: 'done', id, error: error instanceof Error ? error.message : String(error) });
}

scope.addEventListener('message', (e) => {
  const m = e.data;
  switch (m.type) {
    case 'connect':
    case 'close':
      // The old connection's last messages go out under its own generation, then are dropped.
      flush();
      generation = m.generation;
      quiet = true;
      try {
        if (m.type === 'connect') session.connect(m.credentials, m.clientId, { quietMs: m.quietMs, connectTimeoutMs: m.connectTimeoutMs });
        else session.close();
      } catch (err) {
        // MQTT.js refuses some addresses at once (an http:// URL): said as the broker's refusal, final.
        quiet = false;
        post({ type: 'state', state: { state: 'error', reason: 'broker', detail: err instanceof Error ? err.message : String(err), retrying: false }, connected: false });
      } finally {
        quiet = false;
      }
      break;
    case 'watch-events':
      session.watchEvents(m.topic);
      break;
    case 'publish':
      session.publish(m.topic, m.payload).then(() => done(m.id), (err: unknown) => done(m.id, err));
      break;
    case 'listen':
      session.listen(m.topic).then(() => done(m.id), (err: unknown) => done(m.id, err));
      break;
    case 'unlisten':
      session.unlisten(m.topic);
      break;
  }
});
