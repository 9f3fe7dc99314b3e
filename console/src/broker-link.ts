import mqtt, { type MqttClient } from 'mqtt';

export interface Credentials {
  url: string;
  username: string;
  password: string;
  /** The contract's topic prefix, `stations` unless the fleet configured another. */
  prefix: string;
}

export type LinkState = { state: 'connecting' | 'connected' | 'reconnecting' | 'closed' } | { state: 'error'; message: string };

export interface BrokerLinkHandlers {
  message(topic: string, payload: Uint8Array): void;
  state(s: LinkState): void;
}

/** The fleet-wide, retained topics: everything the fleet list needs, nothing per event. */
export function fleetTopics(prefix: string): string[] {
  return ['status', 'alarms', 'availability', 'devices/+'].map((t) => `${prefix}/+/${t}`);
}

/**
 * The console's one MQTT over WebSocket connection, with the operator's own credentials, so the
 * broker's ACL decides what this operator may see. Events are subscribed to for one station at
 * a time: the fleet's whole event stream is not something a browser should carry.
 */
export class BrokerLink {
  private client: MqttClient | undefined;
  private eventsTopic: string | undefined;

  constructor(private readonly handlers: BrokerLinkHandlers) {}

  connect(c: Credentials): void {
    this.close();
    this.handlers.state({ state: 'connecting' });
    const client = mqtt.connect(c.url, {
      // 3.1.1 works on every broker the contract names, the embedded aedes included.
      protocolVersion: 4,
      clientId: `console-${Math.random().toString(36).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 3000,
      connectTimeout: 15_000,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
    });
    this.client = client;
    client.on('connect', () => {
      this.handlers.state({ state: 'connected' });
      // QoS 0 for state: each retained topic is replaced whole by the next, so a lost update costs
      // nothing that the next one does not repair, and 60,000 PUBACKs are saved on a fleet load.
      client.subscribe(fleetTopics(c.prefix), { qos: 0 }, (err) => {
        if (err) this.handlers.state({ state: 'error', message: `subscribe refused: ${err.message}` });
      });
      if (this.eventsTopic) client.subscribe(this.eventsTopic, { qos: 1 });
    });
    client.on('reconnect', () => this.handlers.state({ state: 'reconnecting' }));
    client.on('error', (err) => this.handlers.state({ state: 'error', message: err.message }));
    client.on('message', (topic, payload) => this.handlers.message(topic, payload));
  }

  /** Follows one station's `S/events` (undefined: none). */
  watchEvents(topic: string | undefined): void {
    if (topic === this.eventsTopic) return;
    if (this.eventsTopic && this.client?.connected) this.client.unsubscribe(this.eventsTopic);
    this.eventsTopic = topic;
    if (topic && this.client?.connected) this.client.subscribe(topic, { qos: 1 });
  }

  close(): void {
    this.client?.end(true);
    this.client = undefined;
    this.handlers.state({ state: 'closed' });
  }
}
