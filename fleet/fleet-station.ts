import type { Database } from 'better-sqlite3';
import type { IClientOptions, MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { CloudBridge, type BridgeDevice } from '../cloud-bridge/cloud-bridge.js';
import type { StationConfig } from '../config/station-schema.js';
import { StationAlarms } from '../gateway/station/station-alarms.js';
import { AlarmTable } from '../gateway/store/alarm-table.js';
import { EventOutbox } from '../gateway/store/event-outbox.js';
import { openDatabase } from '../gateway/store/open-database.js';
import { mulberry32 } from '../simulators/modbus/seeded-random.js';
import type { FleetStationPlan } from './fleet-plan.js';
import { SyntheticStation } from './synthetic-station.js';

export interface FleetStationOptions {
  plan: FleetStationPlan;
  /** The fleet's station config with this station's id and location: cloud URL, prefix, heartbeat. */
  config: StationConfig;
  devices: readonly BridgeDevice[];
  version: string;
  log: Logger;
}

/**
 * One simulated station on the gateway's own parts: CloudBridge (birth, Last Will, retained
 * states, alarms, availability, the event outbox), StationAlarms and the SQLite outbox (in
 * memory: the simulator has no power cuts to survive). Only the devices are synthetic.
 */
export class FleetStation {
  readonly id: string;
  private db: Database | undefined;
  private bridge: CloudBridge | undefined;
  private alarms: StationAlarms | undefined;
  private outbox: EventOutbox | undefined;
  private client: MqttClient | undefined;
  private readonly model: SyntheticStation;
  private crashed = false;

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

  start(): void {
    const { config, devices, version, log, plan } = this.options;
    const { db } = openDatabase(':memory:');
    this.db = db;
    const outbox = new EventOutbox(db);
    this.outbox = outbox;
    const alarms = new StationAlarms(new AlarmTable(db), outbox, log);
    this.alarms = alarms;
    const bridge = new CloudBridge({
      config,
      version,
      // The boot id is a ULID: one a station would make, from its seed, stable across runs.
      bootId: bootIdFor(plan.seed),
      devices,
      outbox,
      log,
      connect: (url: string, o: IClientOptions) => {
        this.client = mqtt.connect(url, o);
        return this.client;
      },
    });
    this.bridge = bridge;
    alarms.on('changed', (list) => bridge.setAlarms(list));
    bridge.setAlarms(alarms.active());
    outbox.append({ type: 'gateway.started', data: { version, bootId: bootIdFor(plan.seed), simulated: true } });
    this.publishModel();
    bridge.start();
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
    await this.bridge?.stop(1000);
    this.db?.close();
    this.bridge = undefined;
    this.db = undefined;
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function bootIdFor(seed: number): string {
  const random = mulberry32(seed);
  let id = '01';
  while (id.length < 26) id += CROCKFORD[Math.floor(random() * 32)];
  return id;
}
