import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { listen } from '../config/listen.js';
import { MAX_PACKET_BYTES, MqttFrameScanner } from './mqtt-frame-scanner.js';

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  /** `ws://host:port` when a WebSocket listener was asked for (browsers speak MQTT only over it). */
  readonly wsUrl: string | undefined;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  port?: number;
  /** MQTT over WebSocket for the operator console; 0 picks a free port; absent: no listener. */
  wsPort?: number;
  /**
   * A stopped broker whose sessions, subscriptions, queued and retained messages this one takes
   * over, as Mosquitto does with its persistence file across a restart (the chaos tests).
   */
  sessionsFrom?: EmbeddedBroker;
  /**
   * The largest MQTT packet a client may send (default MAX_PACKET_BYTES); 0 for none, as aedes
   * alone: a broker that forwards anything, to prove the station's own bound.
   */
  maxPacketBytes?: number;
  /**
   * Accounts (user name to password) for tests of a client's handling of a refused login; absent:
   * anyone may connect. A wrong password is answered with CONNACK 4 (bad user name or password).
   */
  users?: Readonly<Record<string, string>>;
}

/** Each broker's aedes persistence (in memory), for `sessionsFrom`. */
const persistences = new WeakMap<EmbeddedBroker, unknown>();

/**
 * An in-process MQTT 3.1.1 broker (aedes) for the demo, a bench station without a cloud, and
 * tests. It listens on loopback only by default: it has no authentication.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const maxPacketBytes = options.maxPacketBytes ?? MAX_PACKET_BYTES;
  const persistence = options.sessionsFrom ? persistences.get(options.sessionsFrom) : undefined;
  const broker = await Aedes.createBroker(persistence === undefined ? {} : { persistence });
  const users = options.users;
  if (users) {
    broker.authenticate = (_client, username, password, done) => {
      const ok = username !== undefined && Object.hasOwn(users, username) && password?.toString() === users[username];
      done(ok ? null : Object.assign(new Error('bad user name or password'), { returnCode: 4 as const }), ok);
    };
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    // MQTT packets are small and answered at once: Nagle's delay (with the peer's delayed ACK)
    // added ~40 ms to every round trip on loopback, measured.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
    limitPacketSize(socket, maxPacketBytes);
  });
  const port = await listen(server, options.port ?? 1883, host);
  let ws: WsListener | undefined;
  try {
    if (options.wsPort !== undefined) ws = await startWsListener(broker, host, options.wsPort, maxPacketBytes);
  } catch (err) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const embedded: EmbeddedBroker = {
    url: `mqtt://${host}:${port}`,
    port,
    wsUrl: ws?.url,
    close: async () => {
      await ws?.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
  persistences.set(embedded, (broker as unknown as { persistence: unknown }).persistence);
  return embedded;
}

/**
 * aedes has no maximum packet size, and its parser holds a whole packet before aedes sees it: one
 * 250 MB publish would fill the broker's heap, then every subscriber's. A client that sends a
 * packet over the limit is disconnected as soon as its fixed header says so, as Mosquitto does
 * with `max_packet_size`; the packet is never stored, so nothing is redelivered. Attached after
 * `broker.handle`: aedes reads with `read()`, which emits each chunk as 'data' before aedes parses
 * it, and a 'data' listener added once a 'readable' one exists does not switch the stream to
 * flowing mode.
 */
function limitPacketSize(conn: Duplex, maxPacketBytes: number): void {
  if (maxPacketBytes <= 0) return;
  const scanner = new MqttFrameScanner(maxPacketBytes, () => undefined, () => conn.destroy());
  conn.on('data', (chunk: Buffer) => scanner.scan(chunk));
}

interface WsListener {
  url: string;
  close(): Promise<void>;
}

/** The set-up aedes' docs give (docs/Examples.md): `ws` on an HTTP server, each socket as a stream. */
async function startWsListener(broker: Aedes, host: string, port: number, maxPacketBytes: number): Promise<WsListener> {
  const http = createHttpServer();
  // `mqtt` is the subprotocol browsers' MQTT clients ask for; Mosquitto and EMQX answer it too.
  const wss = new WebSocketServer({ server: http, ...(maxPacketBytes > 0 ? { maxPayload: maxPacketBytes } : {}), handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
  wss.on('connection', (websocket, req) => {
    const stream = createWebSocketStream(websocket);
    // A browser pays for each WebSocket message it receives (docs/console.md, "Fleet load"), and
    // aedes writes a packet in pieces (fixed header, topic, payload) inside cork/uncork: ws' stream
    // has no _writev, so each piece left as a message of its own, about five per PUBLISH. With one,
    // what waited goes as one message: a corked packet whole, and while a send is on its way every
    // packet written meanwhile (the rest of a retained burst) with the next. MQTT over WebSocket
    // lets one message carry several packets (MQTT 3.1.1 §6, 5.0 §6). Nothing waits for a timer:
    // a CONNACK refusal followed by a close still leaves before the close.
    const send = stream._write.bind(stream);
    stream._writev = (chunks, callback) => send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), 'binary', callback);
    // A browser tab closed mid-write errors the stream; aedes sees the close and sends the will.
    stream.on('error', () => stream.destroy());
    broker.handle(stream, req);
    limitPacketSize(stream, maxPacketBytes);
  });
  const bound = await listen(http, port, host);
  return {
    url: `ws://${host}:${bound}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
