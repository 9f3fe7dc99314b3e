import type { MqttClient } from 'mqtt';

/**
 * What the renewal needs of the station's own broker connection: a subscription for the reply and
 * a publish of the request, both on the station's tree. The bridge's client provides it (the lead
 * wires it); `mqttEnrolmentLink` adapts any MQTT.js client, as the tests use.
 */
export interface EnrolmentLink {
  /** Subscribes at QoS 1; resolves once the broker acknowledged it, with the way to undo it. */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): Promise<() => Promise<void>>;
  /** Publishes at QoS 1; resolves on PUBACK, rejects when it was not delivered. */
  publish(topic: string, payload: string): Promise<void>;
}

export function mqttEnrolmentLink(client: MqttClient): EnrolmentLink {
  return {
    async subscribe(topic, onMessage) {
      const listener = (t: string, payload: Buffer, packet: { retain?: boolean }): void => {
        if (t === topic && !packet.retain) onMessage(payload);
      };
      client.on('message', listener);
      try {
        const granted = await client.subscribeAsync(topic, { qos: 1 });
        if (granted.some((g) => g.qos >= 0x80)) throw new Error(`the broker refused the subscription to ${topic}`);
      } catch (err) {
        client.off('message', listener);
        throw err;
      }
      return async () => {
        client.off('message', listener);
        await client.unsubscribeAsync(topic).catch(() => undefined);
      };
    },
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
  };
}
