import mqtt from 'mqtt';
import { deviceStatePayload, type BirthPayload, type DeathPayload, type DeviceInfo } from '../../cloud-bridge/payloads.js';
import { stationTopics } from '../../cloud-bridge/topics.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { SyntheticStation } from '../../fleet/synthetic-station.js';
import { mulberry32 } from '../../simulators/modbus/seeded-random.js';

const DEVICES: Record<string, DeviceInfo> = {
  'lock-1': { id: 'lock-1', kind: 'door-lock', model: 'LK-REF' },
  'cabinet-1': { id: 'cabinet-1', kind: 'battery-cabinet', model: 'CAB-REF' },
  'water-1': { id: 'water-1', kind: 'water-dispenser', model: 'WD-REF' },
  'occupancy-1': { id: 'occupancy-1', kind: 'occupancy', model: 'OCC-REF' },
};

/**
 * The retained state of a whole fleet as a broker holds it after the stations reported: status,
 * alarms, availability and every device, built with the contract's payload builders from the
 * fleet simulator's device models, without a connection per station (quick to load).
 */
export function retainedFleet(stations: number, seed = 1): Array<[string, string]> {
  const now = new Date();
  const ts = now.toISOString();
  const out: Array<[string, string]> = [];
  for (const plan of planFleet({ stations, faultyPercent: 10, seed })) {
    const model = new SyntheticStation(mulberry32(plan.seed), plan.fault);
    const t = stationTopics('stations', plan.id);
    const bootId = '01JR8Y3M2Q4K5N6P7R8S9T0V1W';
    const status: BirthPayload | DeathPayload =
      plan.fault === 'offline' ? { online: false, bootId } : { online: true, ts, version: '0.1.0', bootId, devices: Object.values(DEVICES) };
    out.push([t.status, JSON.stringify(status)]);
    for (const [id, state] of model.states(now)) {
      const info = DEVICES[id];
      if (info) out.push([t.device(id), JSON.stringify(deviceStatePayload(info, state, now))]);
    }
    const alarms = model.alarms().filter((a) => a.active).map(({ active: _active, ...a }) => ({ ...a, since: ts }));
    out.push([t.alarms, JSON.stringify({ ts, alarms })]);
    out.push([t.availability, JSON.stringify({ ts, ...model.availability() })]);
  }
  return out;
}

/** Publishes them retained over one connection; the closing QoS 1 publish is acknowledged after all before it. */
export async function loadRetained(url: string, messages: ReadonlyArray<[string, string]>): Promise<void> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'bench-loader' });
  for (const [topic, payload] of messages) client.publish(topic, payload, { qos: 0, retain: true });
  await client.publishAsync('bench/loaded', 'done', { qos: 1 });
  await client.endAsync();
}
