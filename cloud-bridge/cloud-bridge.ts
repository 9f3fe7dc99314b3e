import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { StationConfig } from '../config/station-schema.js';
import type { DeviceState } from '../device-drivers/device.js';
import type { EventOutbox } from '../gateway/store/event-outbox.js';
import { mqttClientOptions } from './mqtt-options.js';
import { OutboxRelay } from './outbox-relay.js';
import { deviceStatePayload, type BirthPayload, type DeathPayload, type DeviceInfo } from './payloads.js';
import { changedBeyondDeadband } from './state-change.js';
import { stationTopics, type StationTopics } from './topics.js';

export interface CloudBridgeOptions {
  config: StationConfig;
  version: string;
  bootId: string;
  /** Read live: a driver learns its model from the device (a lock's firmware) after start. */
  devices: readonly BridgeDevice[];
  outbox: EventOutbox;
  log: Logger;
  /** The MQTT client factory; tests and the interop suite pass the real one with other options. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
  now?: () => Date;
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
 * device states on change and on heartbeat, and the event stream from the durable outbox.
 */
export class CloudBridge {
  private client: MqttClient | undefined;
  private readonly topics: StationTopics;
  private readonly relay: OutboxRelay;
  private readonly latest = new Map<string, DeviceState>();
  private readonly published = new Map<string, Published>();
  private readonly devices: Map<string, BridgeDevice>;
  private heartbeat: NodeJS.Timeout | undefined;
  private wasConnected = false;
  private stopping = false;
  /** Errors while the link is down repeat on every retry: say the first, count the rest. */
  private errorsSinceConnect = 0;
  private readonly now: () => Date;

  constructor(private readonly options: CloudBridgeOptions) {
    this.topics = stationTopics(options.config.cloud.topicPrefix, options.config.station.id);
    this.relay = new OutboxRelay({ outbox: options.outbox, topic: this.topics.events, log: options.log });
    this.devices = new Map(options.devices.map((d) => [d.id, d]));
    this.now = options.now ?? (() => new Date());
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const { config, log } = this.options;
    const connect = this.options.connect ?? mqtt.connect;
    const client = connect(config.cloud.url, mqttClientOptions(config, this.options.bootId));
    this.client = client;
    client.on('connect', () => {
      log.info({ url: config.cloud.url, reconnect: this.wasConnected }, 'cloud connected');
      this.wasConnected = true;
      this.errorsSinceConnect = 0;
      this.publishBirth();
      // Retained state may be stale or gone after an outage: publish everything we know.
      for (const id of this.latest.keys()) this.publishDevice(id, true);
      this.relay.attach(client);
    });
    client.on('close', () => {
      if (this.wasConnected && !this.stopping) log.warn({ url: config.cloud.url }, 'cloud connection lost; reconnecting');
    });
    client.on('error', (err) => {
      this.errorsSinceConnect++;
      if (this.errorsSinceConnect === 1) log.warn({ err: err.message }, 'cloud connection error; retrying');
      else log.debug({ err: err.message, attempts: this.errorsSinceConnect }, 'cloud connection error');
    });
    this.options.outbox.on('appended', this.onAppended);
    const beatMs = config.cloud.heartbeatSeconds * 1000;
    this.heartbeat = setInterval(() => this.beat(beatMs), Math.min(beatMs, 5000));
    this.heartbeat.unref();
  }

  /** The runtime hands every device state here; publishing is decided by deadband and heartbeat. */
  deviceState(id: string, state: DeviceState): void {
    this.latest.set(id, state);
    this.publishDevice(id, false);
  }

  /**
   * Clean shutdown: deliver what the outbox holds (bounded), then say offline ourselves, so the
   * cloud tells a planned stop from a crash (which the Last Will reports).
   */
  async stop(deadlineMs = 3000): Promise<void> {
    const client = this.client;
    this.stopping = true;
    clearInterval(this.heartbeat);
    this.options.outbox.off('appended', this.onAppended);
    if (!client) return;
    const started = Date.now();
    if (client.connected) {
      const drained = await this.relay.flush(deadlineMs / 2);
      if (!drained) this.options.log.warn({ pending: this.options.outbox.pendingCount() }, 'outbox not drained before shutdown; events stay on disk');
      const death: DeathPayload = { online: false, bootId: this.options.bootId, ts: this.now().toISOString() };
      await withTimeout(client.publishAsync(this.topics.status, JSON.stringify(death), { qos: 1, retain: true }), deadlineMs - (Date.now() - started)).catch(
        (err: unknown) => this.options.log.warn({ err: String(err) }, 'offline status not acknowledged'),
      );
    }
    this.relay.detach();
    // force: after the offline status there is nothing left worth waiting for.
    await withTimeout(client.endAsync(true), 1000).catch(() => undefined);
    this.client = undefined;
  }

  private readonly onAppended = (): void => this.relay.kick();

  private publishBirth(): void {
    const birth: BirthPayload = {
      online: true,
      ts: this.now().toISOString(),
      version: this.options.version,
      bootId: this.options.bootId,
      devices: this.options.devices.map(({ id, kind, model }) => ({ id, kind, model })),
    };
    this.publish(this.topics.status, birth);
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
    if (!force && !changed) return;
    this.published.set(id, { state, at: Date.now() });
    this.publish(this.topics.device(id), deviceStatePayload(info, state, this.now()));
  }

  private publish(topic: string, payload: unknown): void {
    this.client?.publish(topic, JSON.stringify(payload), { qos: 1, retain: true }, (err) => {
      if (err) this.options.log.debug({ topic, err: err.message }, 'retained publish not acknowledged');
    });
  }
}

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
