import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { integerOption, UsageError } from '../../config/usage-error.js';

/** How an operator's tool reaches the broker: its own account, never a station's. */
export interface OperatorBroker {
  url: string;
  /** 4 (MQTT 3.1.1, the embedded broker) or 5. */
  protocolVersion?: 4 | 5 | undefined;
  username?: string | undefined;
  passwordFile?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  certKey?: string | undefined;
  /** Default `station-fleet-<8 hex>`: two tools with one client id would take each other off the broker. */
  clientId?: string;
  connectTimeoutMs?: number;
}

const read = (file: string, what: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
};

/**
 * Connects, or rejects after `connectTimeoutMs` (default 10 s) with the broker's refusal: a tool
 * at an operator's desk should say "cannot connect", not retry in silence.
 */
export async function connectOperator(broker: OperatorBroker): Promise<MqttClient> {
  if (!/^(mqtts?|wss?):\/\//.test(broker.url)) throw new UsageError(`--broker must be a URL such as mqtt://127.0.0.1:1883, not "${broker.url}"`);
  const options: IClientOptions = {
    protocolVersion: broker.protocolVersion ?? 4,
    clientId: broker.clientId ?? `station-fleet-${randomBytes(4).toString('hex')}`,
    clean: true,
    reconnectPeriod: 1000,
    connectTimeout: broker.connectTimeoutMs ?? 10_000,
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(broker.passwordFile !== undefined ? { password: read(broker.passwordFile, 'the password file').toString('utf8').split('\n')[0]?.trim() ?? '' } : {}),
    ...(broker.ca !== undefined ? { ca: read(broker.ca, 'the CA certificate') } : {}),
    ...(broker.cert !== undefined ? { cert: read(broker.cert, 'the certificate') } : {}),
    ...(broker.certKey !== undefined ? { key: read(broker.certKey, 'the certificate key') } : {}),
  };
  const client = mqtt.connect(broker.url, options);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no connection to ${broker.url} within ${(broker.connectTimeoutMs ?? 10_000) / 1000} s`)), broker.connectTimeoutMs ?? 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      resolve();
    });
    client.once('error', fail);
  });
  return client;
}

export function subscribe(client: MqttClient, topics: string[]): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(topics, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
}

export function publish(client: MqttClient, topic: string, payload: string, retain: boolean): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : resolve())));
}

export function disconnect(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/** The command-line options every operators' command takes to reach the broker with its own account. */
export const OPERATOR_BROKER_OPTIONS = {
  broker: { type: 'string' },
  prefix: { type: 'string' },
  mqtt: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  'cert-key': { type: 'string' },
} as const;

/** The broker those options name; throws UsageError without `--broker` or with a bad `--mqtt`. */
export function operatorBroker(values: { broker?: string | undefined; mqtt?: string | undefined; username?: string | undefined; 'password-file'?: string | undefined; ca?: string | undefined; cert?: string | undefined; 'cert-key'?: string | undefined }): OperatorBroker {
  if (!values.broker) throw new UsageError('--broker URL is required');
  const version = integerOption(values.mqtt, 'mqtt', 4, 5);
  return {
    url: values.broker,
    protocolVersion: version as 4 | 5 | undefined,
    username: values.username,
    passwordFile: values['password-file'],
    ca: values.ca,
    cert: values.cert,
    certKey: values['cert-key'],
  };
}

/**
 * Above this many stations, a tool that follows their reports subscribes to the one wildcard and
 * filters what arrives: thousands of single subscriptions are slow on a broker (aedes took 30 s
 * before the first message for 2,000).
 */
export const MAX_LISTED_SUBSCRIPTIONS = 100;

/** The help of OPERATOR_BROKER_OPTIONS, the same in every command that takes them. */
export const OPERATOR_BROKER_HELP = `  Broker options (the operator's own account):
        --prefix P           topic prefix (default stations)
        --mqtt 4|5           MQTT version (default 4; the embedded broker speaks 4 only)
        --username U --password-file FILE
        --ca FILE --cert FILE --cert-key FILE   TLS with a client certificate`;
