import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { waitFor } from '../helpers/wait-for.js';
import type { Pki } from './pki.js';
import type { Mosquitto } from './mosquitto.js';

/** A plain MQTT.js client with the certificate of `name` (its CN is its user name and client id). */
export function tlsClient(broker: Mosquitto, pki: Pki, name: string, protocolVersion: 4 | 5, extra: Partial<IClientOptions> = {}): Promise<MqttClient> {
  const { cert, key } = pki.client(name);
  return mqtt.connectAsync(broker.url, {
    protocolVersion,
    clientId: name,
    ca: readFileSync(pki.ca),
    cert: readFileSync(cert),
    key: readFileSync(key),
    reconnectPeriod: 200,
    clean: true,
    ...extra,
  });
}

/** Runs a mosquitto client tool (mosquitto_sub, mosquitto_pub, mosquitto_rr) with TLS as `name`. */
export function mosquittoTool(tool: 'mosquitto_sub' | 'mosquitto_pub' | 'mosquitto_rr', broker: Mosquitto, pki: Pki, name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { cert, key } = pki.client(name);
  const tls = ['-h', '127.0.0.1', '-p', String(broker.port), '--cafile', pki.ca, '--cert', cert, '--key', key];
  return new Promise((resolve) => {
    execFile(`/usr/bin/${tool}`, [...tls, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Seen {
  topic: string;
  body: Record<string, unknown>;
  retain: boolean;
  correlationData: string | undefined;
}

/** Records every message a client receives, parsed as JSON, with its MQTT 5 correlation data. */
export class Recorder {
  readonly messages: Seen[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { raw: payload.toString('utf8') };
      }
      const cd = packet.properties?.correlationData;
      this.messages.push({ topic, body, retain: packet.retain, correlationData: cd ? Buffer.from(cd).toString('utf8') : undefined });
    });
  }

  on(topic: string, from = 0): Seen[] {
    return this.messages.slice(from).filter((m) => m.topic === topic);
  }

  waitFor(topic: string, match: (m: Seen) => boolean = () => true, timeoutMs = 15_000, from = 0): Promise<Seen> {
    return waitFor(() => this.messages.slice(from).find((x) => x.topic === topic && match(x)), timeoutMs, `a message on ${topic}`);
  }
}
