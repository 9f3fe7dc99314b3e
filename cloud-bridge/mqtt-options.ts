import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { StationConfig } from '../config/station-schema.js';
import type { DeathPayload } from './payloads.js';
import { stationTopics } from './topics.js';

/**
 * Client options for the station's connection: client id = station id (so a broker ACL can
 * pin the station to its subtree), a persistent session, and the Last Will that tells the
 * cloud this boot of the gateway is gone. Secrets are read from the files the config names.
 */
export function mqttClientOptions(config: StationConfig, bootId: string, random: () => number = Math.random): IClientOptions {
  const c = config.cloud;
  const will: DeathPayload = { online: false, bootId };
  const options: IClientOptions = {
    clientId: config.station.id,
    protocolVersion: c.protocolVersion,
    clean: false,
    keepalive: c.keepaliveSeconds,
    connectTimeout: 15_000,
    // A fleet must not reconnect in lockstep after a broker restart: spread the first retry.
    reconnectPeriod: Math.round(1000 + random() * 4000),
    // QoS 0 would pile up in memory while offline; everything that matters is QoS 1 or the outbox.
    queueQoSZero: false,
    will: { topic: stationTopics(c.topicPrefix, config.station.id).status, payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
  };
  if (c.protocolVersion === 5) options.properties = { sessionExpiryInterval: c.sessionExpirySeconds };
  if (c.ca) options.ca = readFileSync(c.ca);
  if (c.cert) options.cert = readFileSync(c.cert);
  if (c.key) options.key = readFileSync(c.key);
  if (c.username) options.username = c.username;
  if (c.passwordFile) options.password = readFileSync(c.passwordFile, 'utf8').trimEnd();
  return options;
}
