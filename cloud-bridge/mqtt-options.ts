import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { StationConfig } from '../config/station-schema.js';
import { MAX_PACKET_BYTES } from './mqtt-frame-scanner.js';
import { locationField, type DeathPayload } from './payloads.js';
import { stationTopics } from './topics.js';

/**
 * Client options for the station's connection: client id = station id (so a broker ACL can
 * pin the station to its subtree), a persistent session, and the Last Will that tells the
 * cloud this boot of the gateway is gone. Secrets are read from the files the config names.
 * `firstRetryMs` comes from the bridge's backoff; the bridge changes it between attempts.
 */
export function mqttClientOptions(config: StationConfig, bootId: string, firstRetryMs: number): IClientOptions {
  const c = config.cloud;
  const will: DeathPayload = { online: false, bootId, ...locationField(config.station) };
  const options: IClientOptions = {
    clientId: config.station.id,
    protocolVersion: c.protocolVersion,
    clean: false,
    keepalive: c.keepaliveSeconds,
    // A TLS handshake over a poor 4G link can take many seconds; 30 s before giving up on CONNACK.
    connectTimeout: 30_000,
    reconnectPeriod: firstRetryMs,
    // A refused CONNACK (server busy, auth back end down during a cluster restart) is retried with
    // the same backoff instead of leaving the station off-line until someone restarts it.
    reconnectOnConnackError: true,
    // The bridge subscribes to its command topic on every connect itself.
    resubscribe: false,
    // QoS 0 would pile up in memory while offline; everything that matters is QoS 1 or the outbox.
    queueQoSZero: false,
    // No pre-built Buffer for each of the 65,536 packet ids (mqtt-packet's write cache: 6 MB of
    // heap for the life of the process) to save a 2-byte allocation on a packet a few times a second.
    writeCache: false,
    will: { topic: stationTopics(c.topicPrefix, config.station.id).status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
  };
  // A compliant MQTT 5 broker does not send a packet larger than this (it drops it as delivered);
  // on 3.1.1 the station's InboundPacketGuard is the only bound.
  if (c.protocolVersion === 5) options.properties = { sessionExpiryInterval: c.sessionExpirySeconds, maximumPacketSize: MAX_PACKET_BYTES };
  if (c.ca) options.ca = readFileSync(c.ca);
  if (c.cert) options.cert = readFileSync(c.cert);
  if (c.key) options.key = readFileSync(c.key);
  if (c.username) options.username = c.username;
  if (c.passwordFile) options.password = readFileSync(c.passwordFile, 'utf8').trimEnd();
  return options;
}
