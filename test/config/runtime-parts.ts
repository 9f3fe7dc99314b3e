import mqtt from 'mqtt';
import pino from 'pino';
import type { LoadedStation } from '../../config/load-station-config.js';
import { CloudBridge } from '../../cloud-bridge/cloud-bridge.js';
import { mqttClientOptions } from '../../cloud-bridge/mqtt-options.js';
import { buildStationView } from '../../gateway/ops/build-station-view.js';
import { StationOps } from '../../gateway/ops/station-ops.js';
import { doorSupervisorFor, wireAccess } from '../../gateway/runtime/access-wiring.js';
import { DeviceFactory } from '../../gateway/runtime/device-factory.js';
import { wireStationLogic } from '../../gateway/runtime/station-logic-wiring.js';
import { EventRecorder } from '../../gateway/station/event-recorder.js';
import { StationAlarms } from '../../gateway/station/station-alarms.js';
import { StationStore } from '../../gateway/store/station-store.js';

/**
 * Everything `StationRuntime.start()` builds from a loaded config, in its order, short of talking
 * to devices or the broker: every place where a config value can throw at start. The store is in
 * memory; MQTT.js gets the client options the bridge would give it and is ended before a packet
 * goes out (its URL, port and TLS checks are synchronous); the ops servers bind where the config
 * says and close again, so the addresses a test generates must be loopback ones.
 * Keep in step with gateway/runtime/station-runtime.ts.
 */
export async function buildRuntimeParts(station: LoadedStation): Promise<void> {
  const { config } = station;
  const log = pino({ level: 'silent' });
  const store = new StationStore(':memory:', log);
  store.start();
  const factory = new DeviceFactory(station, log);
  const stops: Array<() => unknown> = [];
  try {
    const alarms = new StationAlarms(store.alarms, store.outbox, log);
    const recorder = new EventRecorder(store.outbox, log, () => undefined);
    stops.push(() => recorder.stop());
    const monitors = factory.buildMonitors();
    const supervisor = doorSupervisorFor(station, recorder, alarms, log);
    const logic = wireStationLogic({ station, monitors, store, recorder, alarms, publishAvailability: () => undefined, allowDoorOpen: (d, door, ms) => supervisor.unlocked(d, door, ms), log });
    stops.push(() => logic.stop());
    const access = await wireAccess({ station, monitors, store, recorder, alarms, supervisor, effects: logic.effects, peopleInside: () => logic.peopleInside(), closedForSafety: () => logic.closedForSafety(), log });
    stops.push(() => access.stop());
    const bridge = new CloudBridge({ config, version: 'test', bootId: 'boot', devices: monitors, outbox: store.outbox, ...(access.commands ? { commands: access.commands } : {}), log });
    const client = mqtt.connect(config.cloud.url, { ...mqttClientOptions(config, 'boot', 1000), reconnectPeriod: 0 });
    client.on('error', () => undefined);
    client.end(true);
    const ops = new StationOps({ config, log, env: {}, view: buildStationView({ config, monitors, outbox: store.outbox, alarms, bridge }) });
    stops.push(() => ops.stop());
    await ops.start();
  } finally {
    for (const stop of stops.reverse()) await stop();
    await factory.close();
    store.stop();
  }
}
