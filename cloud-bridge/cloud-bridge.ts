import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { StationConfig } from '../config/station-schema.js';
import type { DeviceState } from '../device-drivers/device-state.js';
import { Listeners } from '../device-drivers/listeners.js';
import { FloodCounter } from './limits/flood-counter.js';
import type { ObservedOutbox } from './outbox-port.js';
import type { CommandHandler } from './command-handler.js';
import { CommandRouter, type CommandCounts } from './command-router.js';
import type { Alarm, AlarmInput, AlarmRaise, Availability, SnapshotResult, StationResource } from './contract-schemas.js';
import { InboundPacketGuard } from './inbound-packet-guard.js';
import { MAX_PACKET_BYTES, type OversizePacket } from './mqtt-frame-scanner.js';
import { mqttClientOptions } from './mqtt-options.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
import { deviceStatePayload, locationField, type BirthPayload, type DeathPayload, type DeviceInfo } from './payloads.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './reconnect-backoff.js';
import { changedBeyondDeadband } from './state-change.js';
import { IDENTITY_CONFLICT_ALARM, SESSION_TAKEN_OVER, TakeoverWatch, type TakeoverWatchOptions } from './takeover-watch.js';
import { stationTopics, type StationTopics } from './topics.js';
import type { RevocationStatus } from './revocation-contract.js';

export interface CloudBridgeOptions {
  config: StationConfig;
  version: string;
  bootId: string;
  /** Read live: a driver learns its model from the device (a lock's firmware) after start. */
  devices: readonly BridgeDevice[];
  outbox: ObservedOutbox;
  log: Logger;
  /** The access logic for unlock/swap/dispense/slot; until it exists they answer FORBIDDEN. */
  commands?: CommandHandler | undefined;
  /** Reconnect backoff (full jitter); defaults to 1 s doubling to 60 s. */
  backoff?: BackoffPolicy;
  /** Outbox delivery: window, pacing of a backlog, batching of delivery marks. */
  relay?: Pick<OutboxRelayOptions, 'window' | 'pacing' | 'markBatch' | 'retryDelayMs'>;
  /** Where the bridge raises its own alarms (`cloud.identity-conflict`); the station's StationAlarms. */
  alarms?: BridgeAlarms;
  /** How a taken-over identity is told apart (tests shorten it); defaults in DEFAULT_TAKEOVER. */
  takeover?: Pick<TakeoverWatchOptions, 'shortLivedMs' | 'threshold' | 'clearAfterMs'>;
  /** The MQTT client factory; tests and the interop suite pass the real one with other options. */
  connect?: ((url: string, options: IClientOptions) => MqttClient) | undefined;
  now?: () => Date;
  random?: () => number;
  /** When the client certificate in use expires, read at each connect (absent without one). */
  certificateNotAfter?: (() => Date | undefined) | undefined;
  /**
   * The station file's resources for the birth (the gateway knows what each kind may do; the
   * bridge does not); absent: the birth lists none, and a console asks the operator for names.
   */
  resources?: readonly StationResource[] | undefined;
}

export interface BridgeAlarms {
  raise(a: AlarmRaise): void;
  clear(alarm: string): void;
}

/**
 * Connections ended within 10 s of CONNACK, 3 in a row, are a taken-over identity; one up for
 * 5 minutes ends it (longer than the backoff's 60 s ceiling, so two boxes both backing off do not
 * look stable between their kicks).
 */
export const DEFAULT_TAKEOVER = { shortLivedMs: 10_000, threshold: 3, clearAfterMs: 300_000 };

export interface InboundCounts {
  /** Publishes over MAX_PACKET_BYTES dropped unread on the wire. */
  oversizePackets: number;
  commands: CommandCounts;
}

/** A message on a followed topic: of the station's tree (`follow`) or the fleet's (`followFleet`). */
export interface FollowedMessage {
  payload: Buffer;
  retained: boolean;
}

export interface BridgeDevice extends DeviceInfo {
  deadbands(): Record<string, number>;
}

interface Published {
  state: DeviceState;
  at: number;
}

/**
 * The station's side of the cloud contract: status (birth, Last Will, clean offline), retained
 * device states on change and on heartbeat, retained alarms and availability, the event stream
 * from the durable outbox, and the command topics.
 */
export class CloudBridge {
  private client: MqttClient | undefined;
  private readonly topics: StationTopics;
  private readonly relay: OutboxRelay;
  private readonly router: CommandRouter;
  private readonly takeover: TakeoverWatch;
  private readonly latest = new Map<string, DeviceState>();
  private readonly published = new Map<string, Published>();
  private readonly devices: Map<string, BridgeDevice>;
  private alarms: Alarm[] | undefined;
  private availability: Availability | undefined;
  /** What `alarms` and `availability` last serialised to: a change is a different string. */
  private alarmsJson: string | undefined;
  private availabilityJson: string | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Each device's model as the last birth announced it. */
  private readonly announced = new Map<string, string>();
  private wasConnected = false;
  private stopping = false;
  private attempt = 0;
  /** Errors while the link is down repeat on every retry: say the first, count the rest. */
  private errorsSinceConnect = 0;
  /** Refused on the way in, since start (metrics). */
  private readonly counters = { oversize: 0 };
  private readonly floods = new FloodCounter(() => performance.now());
  private readonly now: () => Date;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  /** Topics other parts follow, by whole topic: the station's own (`S/desired/config`) and the fleet's (`<prefix>/_fleet/revocations`). */
  private readonly followed = new Map<string, Listeners<FollowedMessage>>();
  /** What the birth says of the revocation list; undefined until the access part says (no access section: never). */
  private revocations: RevocationStatus | undefined;
  /** What other parts report retained (`config`), by suffix: published again on every connect. */
  private readonly reports = new Map<string, string>();
  private readonly connection = new Listeners<boolean>((err) => this.options.log.error({ err }, 'a connection listener threw'));

  constructor(private readonly options: CloudBridgeOptions) {
    const { config } = options;
    this.topics = stationTopics(config.cloud.topicPrefix, config.station.id);
    this.relay = new OutboxRelay({ ...options.relay, outbox: options.outbox, topic: this.topics.events, log: options.log });
    this.devices = new Map(options.devices.map((d) => [d.id, d]));
    this.now = options.now ?? (() => new Date());
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
    this.takeover = new TakeoverWatch({
      ...DEFAULT_TAKEOVER,
      ...options.takeover,
      onConflict: (detail) => this.identityConflict(detail),
      onStable: (was) => {
        // Only a stable connection starts the backoff over, so two boxes with one identity
        // back off instead of taking the session from each other several times a second.
        this.attempt = 0;
        if (this.client) this.client.options.reconnectPeriod = this.nextDelay();
        if (was) options.log.info({ alarm: IDENTITY_CONFLICT_ALARM }, 'cloud connection stable again; identity conflict over');
        options.alarms?.clear(IDENTITY_CONFLICT_ALARM);
      },
    });
    this.router = new CommandRouter({
      commandPrefix: this.topics.command(''),
      stationRoot: this.topics.root,
      protocolVersion: config.cloud.protocolVersion,
      snapshot: () => this.snapshot(),
      handler: options.commands,
      log: options.log,
      now: this.now,
    });
  }

  /** Inbound traffic refused since start (oversized packets, refused commands), for metrics. */
  inboundCounts(): InboundCounts {
    return { oversizePackets: this.counters.oversize, commands: this.router.counts() };
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const { config, log } = this.options;
    const connect = this.options.connect ?? mqtt.connect;
    // Connected by hand once every socket it makes is wrapped in the packet-size guard.
    const client = connect(config.cloud.url, { ...mqttClientOptions(config, this.options.bootId, this.nextDelay()), manualConnect: true });
    this.client = client;
    guardStreams(client, (packet) => this.skippedOversize(packet));
    const current = (): boolean => this.client === client;
    client.on('connect', () => {
      if (!current()) return;
      log.info({ url: config.cloud.url, reconnect: this.wasConnected, attempts: this.attempt }, 'cloud connected');
      this.wasConnected = true;
      this.errorsSinceConnect = 0;
      this.takeover.connected();
      // MQTT.js waits options.reconnectPeriod after a drop; the next drop starts the backoff over,
      // unless our identity is taken over: then only a stable connection does (onStable).
      if (!this.takeover.conflict) this.attempt = 0;
      client.options.reconnectPeriod = this.nextDelay();
      client.subscribe(this.topics.commandWildcard, { qos: 1 }, (err) => {
        if (err) log.warn({ err: err.message }, 'command subscription failed');
      });
      for (const topic of this.followed.keys()) this.subscribeFollowed(client, topic);
      this.publishBirth();
      for (const [suffix, body] of this.reports) this.publishReport(suffix, body);
      this.connection.emit(true);
      // Retained state may be stale or gone after an outage: publish everything we know.
      for (const id of this.latest.keys()) this.publishDevice(id, true);
      if (this.alarms) this.publishAlarms();
      if (this.availability) this.publishAvailability();
      this.relay.attach(client, client.serverProperties?.receiveMaximum);
    });
    // Emitted just before each attempt: set the wait before the *next* one (MQTT.js re-arms its
    // timer from options.reconnectPeriod on every close; connect() clears it).
    client.on('reconnect', () => {
      if (!current()) return;
      this.attempt++;
      client.options.reconnectPeriod = this.nextDelay();
    });
    client.on('close', () => {
      if (this.stopping || !current()) return;
      if (this.wasConnected && this.attempt === 0 && !this.takeover.conflict) log.warn({ url: config.cloud.url }, 'cloud connection lost; reconnecting');
      this.takeover.closed();
      this.connection.emit(false);
    });
    client.on('disconnect', (packet) => {
      if (!current()) return;
      if (packet.reasonCode === SESSION_TAKEN_OVER) this.takeover.takenOver();
      else log.warn({ reasonCode: packet.reasonCode }, 'the broker ended the connection (MQTT 5 DISCONNECT)');
    });
    client.on('error', (err) => {
      this.errorsSinceConnect++;
      if (this.errorsSinceConnect === 1) log.warn({ err: err.message }, 'cloud connection error; retrying');
      else log.debug({ err: err.message, attempts: this.errorsSinceConnect }, 'cloud connection error');
    });
    client.on('message', (topic, payload, packet) => {
      // A stopping bridge takes nothing new: a command now would be answered by parts already stopped.
      if (!current() || this.stopping) return;
      const followed = this.followed.get(topic);
      if (followed) return followed.emit({ payload, retained: packet.retain });
      if (!this.router.accepts(topic)) return;
      this.router.handle(client, topic, payload, packet).catch((err: unknown) => this.options.log.error({ err, topic }, 'a command could not be handled'));
    });
    this.options.outbox.on('appended', this.onAppended);
    const beatMs = config.cloud.heartbeatSeconds * 1000;
    this.heartbeat = setInterval(() => this.beat(beatMs), Math.min(beatMs, 5000));
    this.heartbeat.unref();
    client.connect();
  }

  /** The runtime hands every device state here; publishing is decided by deadband and heartbeat. */
  deviceState(id: string, state: DeviceState): void {
    this.latest.set(id, state);
    this.publishDevice(id, false);
  }

  /** The alarm logic hands the whole list of active alarms here; published retained when it changes. */
  setAlarms(alarms: readonly AlarmInput[]): void {
    // Kept as the JSON it serialises to: compared as text, and published exactly as the caller's values serialise.
    const json = JSON.stringify(alarms);
    if (json === this.alarmsJson) return;
    this.alarmsJson = json;
    this.alarms = JSON.parse(json) as Alarm[];
    this.publishAlarms();
  }

  /** The station logic hands what a worker can use now; published retained when it changes. */
  setAvailability(availability: Availability): void {
    const next: Availability = {
      open: availability.open,
      services: { ...availability.services },
      ...(availability.outOfService ? { outOfService: availability.outOfService.map((e) => ({ ...e })) } : {}),
    };
    const json = JSON.stringify(next);
    if (json === this.availabilityJson) return;
    this.availabilityJson = json;
    this.availability = next;
    this.publishAvailability();
  }

  /**
   * Follows `S/<suffix>` at QoS 1 (subscribed on every connect; a retained message arrives at
   * once): how a part takes desired state from the cloud without a client of its own. The suffix
   * must not be under `cmd/`, which the command router owns. The function returned stops it.
   */
  follow(suffix: string, listener: (message: FollowedMessage) => void): () => void {
    if (suffix.startsWith('cmd/') || suffix.includes('+') || suffix.includes('#')) throw new Error(`cannot follow ${suffix}: not a plain topic outside cmd/`);
    return this.followTopic(`${this.topics.root}/${suffix}`, listener);
  }

  /**
   * Follows `<prefix>/_fleet/<name>`, as `follow` does: a message the fleet retains once for every
   * station (the revocation list) rather than once in each station's tree.
   */
  followFleet(name: string, listener: (message: FollowedMessage) => void): () => void {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`cannot follow fleet topic ${name}: not a plain name`);
    return this.followTopic(`${this.options.config.cloud.topicPrefix}/_fleet/${name}`, listener);
  }

  /** The access part says which revocation list it honours; the retained status says it from now on. */
  setRevocations(status: RevocationStatus): void {
    if (this.revocations !== undefined && JSON.stringify(status) === JSON.stringify(this.revocations)) return;
    this.revocations = status;
    this.publishBirth();
  }

  /** Publishes `body` retained at QoS 1 on `S/<suffix>` now if connected, and again on every connect. */
  report(suffix: string, body: unknown): void {
    const json = JSON.stringify(body);
    this.reports.set(suffix, json);
    this.publishReport(suffix, json);
  }

  /** Publishes once at QoS 1 on `S/<suffix>`, not retained; resolves on PUBACK, rejects while not connected. */
  async publishOnce(suffix: string, body: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected to the broker');
    await client.publishAsync(`${this.topics.root}/${suffix}`, body, { qos: 1 });
  }

  /**
   * Ends the connection with a DISCONNECT (the broker discards the Last Will) and connects again
   * with the station file's TLS files read anew: how a renewed certificate comes into use.
   * Resolves on CONNACK; rejects when the broker has not accepted the new connection within
   * `boundMs` (the client keeps trying, as after any drop).
   */
  async reconnect(boundMs = 15_000): Promise<void> {
    const old = this.client;
    if (!old || this.stopping) throw new Error('the bridge is not running');
    this.relay.detach();
    clearInterval(this.heartbeat);
    this.options.outbox.off('appended', this.onAppended);
    // From here the old client's events are not this bridge's (its handlers check which client is current).
    this.client = undefined;
    this.connection.emit(false);
    await this.end(old, old.connected, DISCONNECT_MIN_MS);
    this.start();
    const client = this.client as MqttClient | undefined;
    if (!client) throw new Error('the bridge did not start a new connection');
    if (client.connected) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('connect', onConnect);
        reject(new Error(`not connected again within ${boundMs} ms`));
      }, boundMs);
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('connect', onConnect);
    });
  }

  /** Told true on every connect and false on every drop (a health gate's broker check). */
  onConnection(listener: (connected: boolean) => void): () => void {
    return this.connection.add(listener);
  }

  private followTopic(topic: string, listener: (message: FollowedMessage) => void): () => void {
    let listeners = this.followed.get(topic);
    if (!listeners) {
      listeners = new Listeners<FollowedMessage>((err) => this.options.log.error({ err, topic }, 'a follower of a topic threw'));
      this.followed.set(topic, listeners);
      if (this.client?.connected) this.subscribeFollowed(this.client, topic);
    }
    return listeners.add(listener);
  }

  private subscribeFollowed(client: MqttClient, topic: string): void {
    client.subscribe(topic, { qos: 1 }, (err) => {
      if (err) this.options.log.warn({ err: err.message, topic }, 'subscription failed');
    });
  }

  private publishReport(suffix: string, json: string): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(`${this.topics.root}/${suffix}`, json, { qos: 1, retain: true }, (err) => {
      if (err) this.options.log.warn({ err: err.message, topic: suffix }, 'report not published; sent again on the next connect');
    });
  }

  /** The whole station as the bridge knows it: the `snapshot` command's result. */
  snapshot(): SnapshotResult {
    const now = this.now();
    const devices: SnapshotResult['devices'] = {};
    for (const info of this.options.devices) {
      const state = this.latest.get(info.id);
      devices[info.id] = state ? deviceStatePayload(info, state, now) : null;
    }
    return {
      station: this.options.config.station.id,
      ts: now.toISOString(),
      version: this.options.version,
      bootId: this.options.bootId,
      devices,
      alarms: this.alarms ?? null,
      availability: this.availability ?? null,
      outbox: { pending: this.options.outbox.pendingCount() },
    };
  }

  /**
   * Clean shutdown: deliver what the outbox holds (bounded), say offline ourselves (retained,
   * QoS 1, waiting for its PUBACK), then end with a real DISCONNECT, so the cloud tells a planned
   * stop from a crash: the broker discards the Last Will only on DISCONNECT (MQTT 5: reason code 0);
   * a socket closed without one makes it publish the Will over our clean status.
   */
  async stop(deadlineMs = 3000): Promise<void> {
    const client = this.client;
    this.stopping = true;
    this.takeover.stop();
    clearInterval(this.heartbeat);
    this.options.outbox.off('appended', this.onAppended);
    if (!client) return;
    const started = Date.now();
    const left = (): number => deadlineMs - (Date.now() - started);
    let saidOffline = false;
    if (client.connected) {
      const drained = await this.relay.flush(deadlineMs / 2);
      if (!drained) this.options.log.warn({ pending: this.options.outbox.pendingCount() }, 'outbox not drained before shutdown; events stay on disk');
      const death: DeathPayload = { online: false, bootId: this.options.bootId, ts: this.now().toISOString(), ...locationField(this.options.config.station) };
      saidOffline = await withTimeout(client.publishAsync(this.topics.status, JSON.stringify(death), { qos: 1, retain: true }), left()).then(
        () => true,
        (err: unknown) => {
          this.options.log.warn({ err: String(err) }, 'offline status not acknowledged');
          return false;
        },
      );
    }
    // No new event publishes after this; events still unacknowledged stay pending on disk.
    this.relay.detach();
    await this.end(client, saidOffline, Math.max(DISCONNECT_MIN_MS, left()));
    this.client = undefined;
  }

  /**
   * DISCONNECT only after our offline status was acknowledged: without it the Will is the better
   * account of this boot's end. MQTT.js's graceful end waits for every in-flight QoS 1 publish
   * (an event whose PUBACK is late); past the bound the socket is destroyed, as end(true) would.
   */
  private async end(client: MqttClient, disconnect: boolean, boundMs: number): Promise<void> {
    if (!disconnect || !client.connected) {
      await withTimeout(client.endAsync(true), DISCONNECT_MIN_MS).catch(() => undefined);
      return;
    }
    const opts = this.options.config.cloud.protocolVersion === 5 ? { reasonCode: 0 } : {};
    const graceful = await withTimeout(client.endAsync(false, opts), boundMs).then(
      () => true,
      () => false,
    );
    if (!graceful) {
      this.options.log.warn({ boundMs }, 'broker did not take the DISCONNECT in time; closing the socket (it may publish the Last Will)');
      client.stream.destroy();
    }
  }

  private readonly onAppended = (): void => this.relay.appended();

  private identityConflict(detail: { evidence: string; connections: number }): void {
    const { config, log, alarms } = this.options;
    log.error(
      { alarm: IDENTITY_CONFLICT_ALARM, clientId: config.station.id, ...detail },
      'another connection uses this station identity (the broker takes the session from one for the other); backing off. Two gateways, or a tool, with this client id?',
    );
    alarms?.raise({ alarm: IDENTITY_CONFLICT_ALARM, severity: 'major', detail: { ...detail, clientId: config.station.id } });
  }

  /** An oversized publish was dropped and acknowledged on the wire; a flood of them is one line a minute. */
  private skippedOversize(packet: OversizePacket): void {
    this.counters.oversize++;
    const attempts = this.floods.note('oversize');
    if (attempts === undefined) return;
    this.options.log.warn(
      { code: 'MQTT_PACKET_TOO_LARGE', topic: packet.topic, bytes: packet.declaredBytes, limit: MAX_PACKET_BYTES, attempts },
      'oversized MQTT publish dropped unread (acknowledged so the broker does not redeliver it)',
    );
  }

  private nextDelay(): number {
    return backoffDelay(this.attempt, this.backoff, this.random);
  }

  private publishBirth(): void {
    if (!this.client?.connected) return;
    for (const { id, model } of this.options.devices) this.announced.set(id, model);
    const birth: BirthPayload = {
      online: true,
      ts: this.now().toISOString(),
      version: this.options.version,
      bootId: this.options.bootId,
      devices: this.options.devices.map(({ id, kind, model }) => ({ id, kind, model })),
      ...locationField(this.options.config.station),
      timezone: this.options.config.station.timezone,
    };
    const notAfter = this.options.certificateNotAfter?.();
    if (notAfter) birth.certificate = { notAfter: notAfter.toISOString(), daysLeft: Math.round(((notAfter.getTime() - this.now().getTime()) / 86_400_000) * 10) / 10 };
    if (this.revocations !== undefined) birth.revocations = this.revocations;
    if (this.options.resources) birth.resources = [...this.options.resources];
    this.publish(this.topics.status, birth);
  }

  private publishAlarms(): void {
    if (this.alarms) this.publish(this.topics.alarms, { ts: this.now().toISOString(), alarms: this.alarms });
  }

  private publishAvailability(): void {
    if (this.availability) this.publish(this.topics.availability, { ts: this.now().toISOString(), ...this.availability });
  }

  private beat(beatMs: number): void {
    const now = Date.now();
    for (const id of this.latest.keys()) {
      const last = this.published.get(id);
      if (!last || now - last.at >= beatMs) this.publishDevice(id, true);
    }
  }

  private publishDevice(id: string, force: boolean): void {
    const state = this.latest.get(id);
    const info = this.devices.get(id);
    if (!state || !info || !this.client?.connected) return;
    const last = this.published.get(id)?.state;
    const changed =
      !last || last.online !== state.online || changedBeyondDeadband(last.points, state.points, info.deadbands());
    // Birth and state read the one live model; a driver that learnt it after the birth (a lock's
    // firmware) gets a fresh birth first, so the retained status never names another model.
    const modelChanged = this.announced.get(id) !== info.model;
    if (!force && !changed && !modelChanged) return;
    if (modelChanged) this.publishBirth();
    this.published.set(id, { state, at: Date.now() });
    this.publish(this.topics.device(id), deviceStatePayload(info, state, this.now()));
  }

  /** Retained state, QoS 1. While offline nothing is queued: the next connect republishes it all. */
  private publish(topic: string, payload: unknown): void {
    if (!this.client?.connected) return;
    this.client.publish(topic, JSON.stringify(payload), { qos: 1, retain: true }, (err) => {
      if (err) this.options.log.debug({ topic, err: err.message }, 'retained publish not acknowledged');
    });
  }
}

/**
 * Puts the InboundPacketGuard between every socket MQTT.js opens (first connect and each
 * reconnect) and its parser. MQTT.js offers no bound of its own before the parser has the whole
 * packet (its MQTT 5 maximumPacketSize check runs after parsing), and mqtt-packet none at all;
 * `streamBuilder` is the one seam, private in MQTT.js's typings, hence the cast.
 */
function guardStreams(client: MqttClient, onSkipped: (packet: OversizePacket) => void): void {
  const c = client as unknown as { streamBuilder: (client: MqttClient) => Duplex };
  const build = c.streamBuilder;
  c.streamBuilder = (mc) => {
    const socket = build(mc);
    // Commands and PUBACKs are small and latency-bound (a worker waits at the door): no Nagle.
    (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    return new InboundPacketGuard(socket, MAX_PACKET_BYTES, onSkipped);
  };
}

/** Time for the DISCONNECT to be written even when the stop deadline is spent (loopback: ~1 ms). */
const DISCONNECT_MIN_MS = 500;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), Math.max(0, ms));
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
