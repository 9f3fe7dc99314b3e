import type { IClientOptions, MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import type { BridgeDevice, CloudBridge } from '../cloud-bridge/cloud-bridge.js';
import type { StationConfig } from '../config/station-schema.js';
import { composeStation, type ComposedStation } from '../gateway/runtime/compose-station.js';
import type { StationAlarms } from '../gateway/station/station-alarms.js';
import type { EventOutbox } from '../gateway/store/event-outbox.js';
import { mulberry32 } from '../simulators/modbus/seeded-random.js';
import type { FleetStationPlan } from './fleet-plan.js';
import { SimulatedConfigAgent, type FleetRemoteConfig } from './simulated-config-agent.js';
import { SimulatedUpdateAgent, type FleetUpdates } from './simulated-update-agent.js';
import { SyntheticStation } from './synthetic-station.js';

export interface FleetStationOptions {
  plan: FleetStationPlan;
  /** The fleet's station config with this station's id and location: cloud URL, prefix, heartbeat. */
  config: StationConfig;
  devices: readonly BridgeDevice[];
  version: string;
  log: Logger;
  /** Remote configuration through the gateway's own agent; absent: the station takes none. */
  remoteConfig?: FleetRemoteConfig | undefined;
  /** Planned to fail the health gate of a pushed revision. */
  failsGate?: boolean | undefined;
  /** Software updates through a simulated update agent; absent: the station takes none. */
  updates?: FleetUpdates | undefined;
  /** Planned to roll back an update at the end of its trial. */
  failsUpdate?: boolean | undefined;
}

/**
 * One simulated station, assembled by the gateway's own composition root and started only as far
 * as the bridge: the store (in memory: the simulator has no power cuts to survive), alarms and
 * the event log, and the CloudBridge (birth, Last Will, retained states, alarms, availability,
 * the outbox relayed). Only the devices are synthetic: what the monitors would read comes from
 * the model, handed to the same bridge.
 */
export class FleetStation {
  readonly id: string;
  private composed: ComposedStation | undefined;
  private bridge: CloudBridge | undefined;
  private alarms: StationAlarms | undefined;
  private outbox: EventOutbox | undefined;
  private client: MqttClient | undefined;
  private readonly model: SyntheticStation;
  private crashed = false;
  private configAgent: SimulatedConfigAgent | undefined;
  private updateAgent: SimulatedUpdateAgent | undefined;

  constructor(private readonly options: FleetStationOptions) {
    this.id = options.plan.id;
    this.model = new SyntheticStation(mulberry32(options.plan.seed), options.plan.fault);
  }

  get connected(): boolean {
    return this.bridge?.connected ?? false;
  }

  /** Whether this station was made to crash (its Last Will says offline). */
  get isCrashed(): boolean {
    return this.crashed;
  }

  async start(): Promise<void> {
    const { config, devices, version, log, plan } = this.options;
    // No devices of its own to build or poll: the synthetic ones are reported instead.
    const composed = composeStation(
      { file: '(fleet simulator)', config: { ...config, devices: [] }, profiles: new Map() },
      {
        log,
        version,
        // The boot id is a ULID: one a station would make, from its seed, stable across runs.
        bootId: bootIdFor(plan.seed),
        env: {},
        storePath: ':memory:',
        reportedDevices: devices,
        simulated: true,
        bridgeStopDeadlineMs: 1000,
        connect: (url: string, o: IClientOptions) => {
          this.client = mqtt.connect(url, o);
          return this.client;
        },
      },
    );
    this.composed = composed;
    // Started as far as the bridge: no station logic or access, whose availability would be the
    // empty station's rather than the model's.
    await composed.parts.start({ only: ['bridge'] });
    this.bridge = composed.bridge.bridge;
    this.alarms = composed.records.alarms;
    this.outbox = composed.storage.store.outbox;
    const remote = this.options.remoteConfig;
    if (remote) {
      this.configAgent = new SimulatedConfigAgent({ ...remote, stationId: plan.id, devices: devices.map((d) => d.id), failsGate: this.options.failsGate ?? false });
      this.configAgent.attach(this.bridge);
    }
    const updates = this.options.updates;
    if (updates) {
      this.updateAgent = new SimulatedUpdateAgent({ ...updates, stationId: plan.id, runningVersion: version, failsUpdate: this.options.failsUpdate ?? false });
      this.updateAgent.attach(this.bridge);
    }
    this.publishModel();
  }

  /** One step of the synthetic devices, handed to the bridge as a DeviceMonitor would. */
  tick(seconds: number): void {
    if (!this.bridge || !this.outbox || this.crashed) return;
    const events = this.model.tick(seconds);
    if (events.length > 0) this.outbox.appendMany(events);
    this.publishModel();
    // An offline station connects, says what it has, then dies the way a power cut looks to the
    // broker: no DISCONNECT, so the broker publishes its Last Will.
    if (this.options.plan.fault === 'offline' && this.bridge.connected) this.crash();
  }

  private publishModel(): void {
    const bridge = this.bridge;
    const alarms = this.alarms;
    if (!bridge || !alarms) return;
    for (const [id, state] of this.model.states(new Date())) bridge.deviceState(id, state);
    for (const c of this.model.alarms()) {
      const { active, ...raise } = c;
      if (active) alarms.raise(raise);
      else alarms.clear(c.alarm, c.device);
    }
    bridge.setAvailability(this.model.availability());
  }

  private crash(): void {
    this.crashed = true;
    const client = this.client;
    if (!client) return;
    client.options.reconnectPeriod = 0;
    client.end(true);
  }

  async stop(): Promise<void> {
    this.configAgent?.stop();
    this.updateAgent?.stop();
    await this.composed?.parts.stop();
    this.bridge = undefined;
    this.composed = undefined;
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function bootIdFor(seed: number): string {
  const random = mulberry32(seed);
  let id = '01';
  while (id.length < 26) id += CROCKFORD[Math.floor(random() * 32)];
  return id;
}
