import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, beforeEach } from 'vitest';
import { CloudBridge, type BridgeDevice, type CloudBridgeOptions } from '../../cloud-bridge/cloud-bridge.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { stationConfigSchema, type StationConfig } from '../../config/station-schema.js';
import type { DeviceState } from '../../device-drivers/device-state.js';
import { DEVICE_ERROR_CODES } from '../../device-drivers/device-error.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { EventOutbox } from '../../gateway/store/event-outbox.js';
import { openDatabase } from '../../gateway/store/open-database.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A CloudBridge on a real SQLite outbox in `dir`, connecting with the real MQTT.js client. */
export interface BridgeUnderTest {
  bridge: CloudBridge;
  outbox: EventOutbox;
  /** The current client (the bridge makes one at start). */
  client(): MqttClient;
  close(): Promise<void>;
}

export const occupancyDevice: BridgeDevice = { id: 'occ-1', kind: 'occupancy', model: 'OCC-REF', deadbands: () => ({ stillSeconds: 5 }) };

export function bridgeConfig(dir: string, cloud: Record<string, unknown>, stationId = 'st-test-1'): StationConfig {
  return stationConfigSchema.parse({
    station: { id: stationId },
    cloud: { protocolVersion: 4, heartbeatSeconds: 5, ...cloud },
    storage: { path: join(dir, 'g.db') },
    devices: [{ id: 'occ-1', kind: 'occupancy', profile: 'occupancy-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 3 } }],
  });
}

export function deviceState(points: DeviceState['points'], online = true): DeviceState {
  const errors = Object.fromEntries(Object.keys(DEVICE_ERROR_CODES).map((k) => [k, 0])) as DeviceState['health']['errors'];
  return { online, points, health: { lastSeen: new Date().toISOString(), errors, latencyMs: 3 } };
}

export function makeBridge(
  config: StationConfig,
  extra: Partial<Omit<CloudBridgeOptions, 'config' | 'outbox' | 'log' | 'devices'>> & { clientOptions?: Partial<IClientOptions> } = {},
): BridgeUnderTest {
  const { db } = openDatabase(config.storage.path);
  const outbox = new EventOutbox(db);
  let client: MqttClient | undefined;
  const { clientOptions, ...rest } = extra;
  const bridge = new CloudBridge({
    config,
    version: '9.9.9',
    bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W',
    devices: [occupancyDevice],
    outbox,
    log: silentLogger(),
    connect: (url, options) => {
      client = mqtt.connect(url, { ...options, ...clientOptions });
      return client;
    },
    ...rest,
  });
  return {
    bridge,
    outbox,
    client: () => {
      if (!client) throw new Error('not connected');
      return client;
    },
    close: async () => {
      await bridge.stop(1000);
      db.close();
    },
  };
}

/** A fresh embedded broker, temp dir and recorder (on `filter`) per test; `closers` run last-in first-out after it. */
export interface BrokerFixture {
  readonly broker: EmbeddedBroker;
  readonly dir: ReturnType<typeof tempDir>;
  readonly recorder: MqttRecorder;
  readonly closers: Array<() => Promise<void> | void>;
}

/** Registers the per-test hooks of a BrokerFixture; its fields are set once `beforeEach` has run. */
export function useBrokerFixture(filter?: string): BrokerFixture {
  const fx = { closers: [] } as unknown as { -readonly [K in keyof BrokerFixture]: BrokerFixture[K] };
  beforeEach(async () => {
    fx.dir = tempDir();
    fx.broker = await startEmbeddedBroker({ port: 0 });
    fx.recorder = await MqttRecorder.connect(fx.broker.url, filter);
  });
  afterEach(async () => {
    while (fx.closers.length) await fx.closers.pop()?.();
    await fx.recorder.close();
    await fx.broker.close();
    fx.dir.remove();
  });
  return fx;
}
