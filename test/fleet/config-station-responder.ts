import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { systemClock } from '../../config/clock.js';
import type { TrustedKeys } from '../../config/trusted-keys.js';
import { remoteConfigTopics } from '../../cloud-bridge/remote-config-contract.js';
import { HealthGate } from '../../gateway/remote-config/health-gate.js';
import { RemoteConfigAgent } from '../../gateway/remote-config/remote-config-agent.js';
import { RevisionStore } from '../../gateway/remote-config/revision-store.js';

/*
 * A station's remote-configuration side on MQTT, for the fleet tool's tests until the gateway
 * wires it in: the real agent (signature, revision store, the validate code path, the health
 * gate), on a connection with the station's client id. What it does not have is a running
 * station: its gate is fed "connected" and its devices as `answering` says, and an applied
 * revision is not run. The lead replaces it with real gateways.
 */
export interface ResponderOptions {
  id: string;
  url: string;
  dir: string;
  keys: TrustedKeys;
  prefix?: string;
  gateSeconds?: number;
  /** Whether the devices online before come back after an apply (false: the gate fails). */
  devicesAnswer?: boolean;
}

export class StationResponder {
  readonly documents = new Set<string>();
  private client: MqttClient | undefined;
  private agent: RemoteConfigAgent;
  readonly store: RevisionStore;

  constructor(private readonly options: ResponderOptions) {
    const dir = join(options.dir, options.id);
    mkdirSync(dir, { recursive: true });
    const onSite = join(dir, 'station.yaml');
    writeFileSync(onSite, `station:\n  id: ${options.id}\n`);
    this.store = new RevisionStore(join(dir, 'state'));
    this.agent = new RemoteConfigAgent({
      stationId: options.id,
      store: this.store,
      configKeys: options.keys,
      clock: systemClock,
      gateSeconds: options.gateSeconds ?? 1,
      onSiteFile: onSite,
      publish: (report) =>
        new Promise<void>((resolve) => this.client?.publish(this.topics.report, JSON.stringify(report), { qos: 1, retain: true }, () => resolve()) ?? resolve()),
      onlineDevices: () => ['cabinet-1'],
      runningDevices: () => ['cabinet-1'],
      apply: async () => 'live',
      openGate: (expectOnline) => {
        const gate = new HealthGate({ clock: systemClock, gateSeconds: options.gateSeconds ?? 1, expectOnline, probeStore: async () => undefined });
        setImmediate(() => {
          gate.brokerConnected(true);
          if (options.devicesAnswer !== false) for (const id of expectOnline) gate.deviceOnline(id, true);
        });
        return gate;
      },
      revert: async () => undefined,
    });
  }

  private get topics(): { desired: string; report: string } {
    return remoteConfigTopics(this.options.prefix ?? 'stations', this.options.id);
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.options.url, { protocolVersion: 4, clientId: this.options.id, clean: true, reconnectPeriod: 0 });
    this.client = client;
    client.on('message', (_topic, payload) => {
      if (payload.length > 0) this.documents.add(JSON.parse(payload.toString()).document as string);
      void this.agent.handleDesired(payload);
    });
    await client.subscribeAsync(this.topics.desired, { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
