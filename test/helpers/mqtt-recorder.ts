import mqtt, { type MqttClient } from 'mqtt';
import { waitFor } from './wait-for.js';

export interface Recorded {
  topic: string;
  body: Record<string, unknown>;
  retain: boolean;
}

/** A plain MQTT client that records every JSON message under `filter`, as an operator's tool would. */
export class MqttRecorder {
  readonly messages: Recorded[] = [];
  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { raw: payload.toString('utf8') };
      }
      this.messages.push({ topic, body, retain: packet.retain });
    });
  }

  static async connect(url: string, filter = 'stations/#'): Promise<MqttRecorder> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 200, clientId: `recorder-${Math.random().toString(16).slice(2)}` });
    const rec = new MqttRecorder(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return rec;
  }

  on(topic: string): Recorded[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Waits for a message on `topic` (after index `from`) that satisfies `match`. */
  waitFor(topic: string, match: (m: Recorded) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<Recorded> {
    return waitFor(() => this.messages.slice(from).find((m) => m.topic === topic && match(m)), timeoutMs, `a message on ${topic}`);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
