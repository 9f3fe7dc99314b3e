import { fleetTopics, type RevocationsMessage } from '../../cloud-bridge/revocation-contract.js';
import { MAX_PACKET_BYTES } from '../../cloud-bridge/mqtt-frame-scanner.js';
import { UsageError } from '../../config/usage-error.js';
import { connectOperator, disconnect, publish, type OperatorBroker } from '../config/operator-connection.js';

/** Room in a packet for the fixed header, the topic's length and a packet id (MQTT 3.1.1 §3.3). */
const PACKET_OVERHEAD = 16;

/** The revocations message as it goes on the wire: one JSON object holding the list. */
export function revocationsMessage(jws: string): string {
  const message: RevocationsMessage = { document: jws };
  return JSON.stringify(message);
}

/**
 * Publishes the list retained on `<prefix>/_fleet/revocations`, once for the whole fleet, and
 * resolves on the broker's PUBACK. A message over the stations' MQTT packet limit is refused here:
 * every station would drop it unread (cloud-bridge/mqtt-frame-scanner.ts) and keep its old list.
 */
export async function publishRevocations(broker: OperatorBroker, prefix: string, jws: string): Promise<string> {
  const topic = fleetTopics(prefix).revocations;
  const body = revocationsMessage(jws);
  const bytes = Buffer.byteLength(body) + Buffer.byteLength(topic) + PACKET_OVERHEAD;
  if (bytes > MAX_PACKET_BYTES) {
    throw new UsageError(`the list is ${bytes} bytes on the wire; stations take MQTT packets of at most ${MAX_PACKET_BYTES} (docs/passes.md, "Revocation": revoke workers rather than each pass, or raise the limit)`);
  }
  const client = await connectOperator(broker);
  try {
    await publish(client, topic, body, true);
  } finally {
    await disconnect(client);
  }
  return topic;
}
