import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { StationConfig } from '../../../config/station-schema.js';
import { mqttClientOptions } from '../../../cloud-bridge/mqtt-options.js';
import { stationTopics } from '../../../cloud-bridge/topics.js';
import { fail, pass, warn, type CheckResult } from './doctor-result.js';

const CONNECT_TIMEOUT_MS = 10_000;
const CERT_WARN_DAYS = 30;

/** Node's TLS error codes: the certificate chain, its names or its dates. */
const isTlsError = (code: string | undefined, message: string): boolean =>
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL/i.test(code ?? '') || /certificate|handshake|ssl|tls/i.test(message);

/** The client certificate's dates, read from the file (a crew learns of expiry before the broker refuses it). */
export function checkClientCertificate(config: StationConfig, now: Date = new Date()): CheckResult[] {
  const file = config.cloud.cert;
  if (!file) return [];
  const name = 'client certificate';
  try {
    const cert = new X509Certificate(readFileSync(file));
    const until = new Date(cert.validTo);
    const days = Math.floor((until.getTime() - now.getTime()) / 86_400_000);
    if (now < new Date(cert.validFrom)) return [fail(name, `not valid before ${cert.validFrom} (or this clock is behind)`)];
    if (days < 0) return [fail(name, `expired on ${cert.validTo}`)];
    return [(days < CERT_WARN_DAYS ? warn : pass)(name, `${cert.subject.replace(/\n/g, ', ')}, valid for ${days} more days`)];
  } catch (err) {
    return [fail(name, `cannot read ${file}: ${(err as Error).message}`)];
  }
}

function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, options);
    const timer = setTimeout(() => {
      client.end(true);
      reject(Object.assign(new Error(`no CONNACK within ${CONNECT_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' }));
    }, CONNECT_TIMEOUT_MS);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      client.end(true);
      reject(err);
    });
  });
}

/**
 * Doctor's own client id: a broker drops the older of two connections with one client id, and
 * dropping the gateway's would make it publish the gateway's Last Will. A broker that forces the
 * client id to the certificate's CN (the fleet Mosquitto) replaces it; doctor then never
 * connects while a gateway runs (run-doctor.ts checks that first).
 */
export const doctorClientId = (stationId: string): string => `${stationId}-doctor-${randomBytes(4).toString('hex')}`;

/**
 * Connects with the station's URL, TLS files and credentials (so the ACL is the station's, keyed
 * on its user name or CN), then asks for what the station needs: a subscription to its commands
 * and a publish into its subtree. Its own client id, a clean session and no Last Will: nothing
 * the cloud sees changes, and the station's persistent session is not touched.
 */
export async function checkBroker(config: StationConfig): Promise<CheckResult[]> {
  const rows = checkClientCertificate(config);
  const url = config.cloud.url;
  const base = mqttClientOptions(config, 'doctor', 0);
  const { will: _will, ...rest } = base;
  const options: IClientOptions = { ...rest, clientId: doctorClientId(config.station.id), clean: true, reconnectPeriod: 0, connectTimeout: CONNECT_TIMEOUT_MS };
  if (config.cloud.protocolVersion === 5) options.properties = { sessionExpiryInterval: 0 };
  let client: MqttClient;
  try {
    client = await connect(url, options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const tls = url.startsWith('mqtts:') && isTlsError(e.code, e.message);
    if (tls) return [...rows, pass('broker reachable', url), fail('broker TLS', `${e.code ?? ''} ${e.message}`.trim())];
    const refusedByBroker = /not authori[sz]ed|bad user|Connection refused: /i.test(e.message);
    if (refusedByBroker) return [...rows, pass('broker reachable', url), fail('broker login', e.message)];
    return [...rows, fail('broker reachable', `${url}: ${e.code ?? ''} ${e.message}`.trim())];
  }
  rows.push(pass('broker reachable', url));
  if (url.startsWith('mqtts:')) rows.push(pass('broker TLS', 'the broker certificate verifies against cloud.ca'));
  const topics = stationTopics(config.cloud.topicPrefix, config.station.id);
  try {
    rows.push(await checkSubscribe(client, topics.commandWildcard));
    rows.push(await checkPublish(client, `${topics.root}/replies/doctor`, config.cloud.protocolVersion));
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
  return rows;
}

/** MQTT.js rejects a refused subscription (SUBACK 0x80 and up) or hands back its granted QoS. */
async function checkSubscribe(client: MqttClient, topic: string): Promise<CheckResult> {
  try {
    const granted = await client.subscribeAsync(topic, { qos: 1 });
    const qos = granted[0]?.qos ?? 128;
    return qos < 128 ? pass('ACL subscribe', `${topic} granted QoS ${qos}`) : fail('ACL subscribe', `${topic} refused by the broker`);
  } catch (err) {
    return fail('ACL subscribe', `${topic} refused by the broker (${(err as Error).message})`);
  }
}

/** A topic of our subtree no consumer acts on (replies carry correlation ids the cloud never issued). */
async function checkPublish(client: MqttClient, topic: string, protocolVersion: 4 | 5): Promise<CheckResult> {
  try {
    const packet = await client.publishAsync(topic, JSON.stringify({ doctor: true, ts: new Date().toISOString() }), { qos: 1 });
    const reason = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    if (reason >= 0x80) return fail('ACL publish', `${topic} refused (reason ${reason})`);
    // Mosquitto drops a 3.1.1 publish its ACL denies and still sends PUBACK.
    if (protocolVersion === 4) return warn('ACL publish', `${topic} acknowledged; MQTT 3.1.1 cannot say whether an ACL dropped it`);
    return pass('ACL publish', `${topic} acknowledged`);
  } catch (err) {
    return fail('ACL publish', `${topic} refused by the broker (${(err as Error).message})`);
  }
}
