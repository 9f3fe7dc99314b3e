import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { stationTopics } from '../../cloud-bridge/topics.js';

export interface StationReply {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/**
 * One command to a station and its reply, over the operator's connection: MQTT 5 request/response
 * properties where the connection is MQTT 5, `replyTo`/`correlationId` in the payload on 3.1.1.
 * The reply comes to `S/replies/<this tool's id>`, the only place in a station's tree it may answer.
 */
export async function requestStation(
  client: MqttClient,
  o: { prefix: string; station: string; command: string; body: Record<string, unknown>; timeoutMs: number },
): Promise<StationReply> {
  const topics = stationTopics(o.prefix, o.station);
  const replyTo = `${topics.root}/replies/station-fleet-${randomBytes(4).toString('hex')}`;
  const correlation = randomBytes(8).toString('hex');
  const v5 = client.options.protocolVersion === 5;
  await client.subscribeAsync(replyTo, { qos: 1 });
  try {
    const reply = new Promise<StationReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('message', onMessage);
        reject(new Error(`${o.station} did not answer ${o.command} within ${o.timeoutMs / 1000} s (offline, or not on this broker)`));
      }, o.timeoutMs);
      const onMessage = (topic: string, payload: Buffer, packet: { properties?: { correlationData?: Buffer } }): void => {
        if (topic !== replyTo) return;
        let body: StationReply & { correlationId?: string };
        try {
          body = JSON.parse(payload.toString('utf8')) as StationReply & { correlationId?: string };
        } catch {
          return;
        }
        const theirs = v5 ? packet.properties?.correlationData?.toString('utf8') : body.correlationId;
        if (theirs !== correlation) return;
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve(body);
      };
      client.on('message', onMessage);
    });
    const payload = v5 ? o.body : { ...o.body, replyTo, correlationId: correlation };
    await client.publishAsync(topics.command(o.command), JSON.stringify(payload), {
      qos: 1,
      ...(v5 ? { properties: { responseTopic: replyTo, correlationData: Buffer.from(correlation) } } : {}),
    });
    return await reply;
  } finally {
    await client.unsubscribeAsync(replyTo).catch(() => undefined);
  }
}
