import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { alarmEntry } from '../../cloud-bridge/alarm-catalogue.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStation } from '../../config/load-station-config.js';
import { silentLogger } from '../../gateway/runtime/logger.js';
import { StationRuntime } from '../../gateway/runtime/station-runtime.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { assertContract } from '../cloud-bridge/contract-validator.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * One station of vendor devices run through the gateway's real composition root (StationRuntime)
 * against the simulators of the same profiles, over an embedded broker, watched as the cloud sees
 * it: S/devices, S/alarms, S/availability and S/events, and commands answered on a reply topic.
 * Every event and alarm list is checked against the contract as it arrives (the JSON Schema of
 * each event type's data, the alarm catalogue's severities): `stop()` fails with what broke it, so
 * every scenario run on this harness is a contract test of real traffic as well.
 */

export interface Reply {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface StationEvent {
  id: string;
  type: string;
  device?: string;
  data: Record<string, unknown>;
}

export interface Alarm {
  alarm: string;
  severity: string;
  device?: string;
  detail?: Record<string, unknown>;
}

export interface DeviceMessage {
  online: boolean;
  points?: Record<string, unknown> & { slots?: Array<Record<string, unknown>> };
}

export interface Availability {
  open: boolean;
  services: Record<string, Record<string, unknown> | undefined>;
}

export interface VendorStation {
  readonly id: string;
  readonly sim: StationSimulator;
  readonly devices: Map<string, DeviceMessage>;
  readonly events: StationEvent[];
  /** What the station published that the contract or the catalogues do not allow. */
  readonly violations: string[];
  alarms(): Alarm[];
  availability(): Availability | undefined;
  /** A token for `act` on `res`, sent as `S/cmd/<act>`; resolves with the reply. */
  request(act: 'swap' | 'dispense' | 'unlock', res: string, sub: string): Promise<Reply>;
  /** The first event of `type` from `device` (after `since` events) that `match` accepts. */
  event(type: string, device: string, since: number, match?: (e: StationEvent) => boolean, timeoutMs?: number): Promise<StationEvent>;
  stop(): Promise<void>;
}

/**
 * `body` is the station file below `station:`, `cloud:`, `storage:` and `access:`; `{port:NAME}`
 * in it is replaced by a free TCP port (the same one for the same NAME).
 */
export async function startVendorStation(stationId: string, body: string, seed = 7): Promise<VendorStation> {
  const dir = tempDir('vendor-e2e-');
  let broker: EmbeddedBroker | undefined;
  let sim: StationSimulator | undefined;
  let runtime: StationRuntime | undefined;
  let client: MqttClient | undefined;
  const violations: string[] = [];
  const check = (what: () => void): void => {
    try {
      what();
    } catch (err) {
      violations.push(err instanceof Error ? err.message : String(err));
    }
  };
  const stop = async (): Promise<void> => {
    await client?.endAsync(true);
    await runtime?.stop();
    await sim?.stop();
    await broker?.close();
    dir.remove();
    if (violations.length > 0) throw new Error(`the station published what its contract does not allow:\n${violations.join('\n')}`);
  };
  try {
    broker = await startEmbeddedBroker({ port: 0 });
    const key: IssuerKey = await generateIssuerKey('vendor-issuer');
    writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [key]);
    const ports = new Map<string, number>();
    let text = body;
    for (const name of new Set([...body.matchAll(/\{port:([a-z0-9-]+)\}/g)].map((m) => m[1] ?? ''))) {
      const port = await freePort();
      ports.set(name, port);
      text = text.replaceAll(`{port:${name}}`, String(port));
    }
    const file = join(dir.path, 'station.yaml');
    writeFileSync(
      file,
      `station: { id: ${stationId}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system, scansPerMinute: 600 }
${text}`,
    );
    const station = await loadStation(file);
    sim = await startStationSimulator(station, { seed });
    client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `cloud-${stationId}`, reconnectPeriod: 0 });
    const prefix = `stations/${stationId}`;
    const replyPrefix = `cloud/replies/${stationId}`;
    const devices = new Map<string, DeviceMessage>();
    const events: StationEvent[] = [];
    const seen = new Set<string>();
    const replies = new Map<string, Reply>();
    let alarms: Alarm[] = [];
    let availability: Availability | undefined;
    client.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString('utf8')) as unknown;
      if (topic.startsWith(`${prefix}/devices/`)) devices.set(topic.slice(`${prefix}/devices/`.length), body as DeviceMessage);
      else if (topic === `${prefix}/alarms`) {
        alarms = (body as { alarms?: Alarm[] }).alarms ?? [];
        check(() => assertContract('alarms', body));
        for (const a of alarms) {
          const severities: readonly string[] = alarmEntry(a.alarm)?.severities ?? [];
          if (!severities.includes(a.severity)) violations.push(`alarm ${a.alarm} (${a.severity}) is not in the alarm catalogue with that severity`);
        }
      }
      else if (topic === `${prefix}/availability`) availability = body as Availability;
      else if (topic === `${prefix}/events`) {
        // At least once: a redelivery is the same event.
        const e = body as StationEvent;
        if (!seen.has(e.id)) {
          seen.add(e.id);
          events.push(e);
          check(() => assertContract('event', e));
        }
      } else if (topic.startsWith(`${replyPrefix}/`)) replies.set(topic.slice(replyPrefix.length + 1), body as Reply);
    });
    await client.subscribeAsync([`${replyPrefix}/#`, `${prefix}/devices/+`, `${prefix}/alarms`, `${prefix}/availability`, `${prefix}/events`], { qos: 1 });
    // The cloud listens before the station starts: S/events is not retained, and gateway.started
    // goes out within milliseconds of the connection.
    runtime = new StationRuntime({ station, log: silentLogger(), version: 'test' });
    await runtime.start();
    let seq = 0;
    const mqttClient = client;
    const simulator = sim;
    return {
      id: stationId,
      sim: simulator,
      devices,
      events,
      violations,
      alarms: () => alarms,
      availability: () => availability,
      async request(act, res, sub) {
        const token = await issueToken(key, { station: stationId, sub, res, act });
        const id = `r-${++seq}`;
        await mqttClient.publishAsync(`${prefix}/cmd/${act}`, JSON.stringify({ token, replyTo: `${replyPrefix}/${id}`, correlationId: id }), { qos: 1 });
        return waitFor(() => replies.get(id), 10_000, `reply to ${act} on ${res}`);
      },
      event(type, device, since, match = () => true, timeoutMs = 15_000) {
        return waitFor(() => events.slice(since).find((e) => e.type === type && e.device === device && match(e)), timeoutMs, `${type} from ${device}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
