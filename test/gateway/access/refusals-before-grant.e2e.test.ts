import { afterAll, beforeAll } from 'vitest';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { refusalSuite } from './refusal-suite.js';

// The embedded broker (aedes) speaks 3.1.1; MQTT 5 runs against Mosquitto in test/interop/refusals.interop.ts.
let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
});
afterAll(async () => {
  await broker?.close();
});

refusalSuite('MQTT 3.1.1, embedded broker', 4, () => ({
  cloudSection: (_station, version) => `cloud: { url: ${broker.url}, protocolVersion: ${version} }`,
  backend: (station, version) => mqtt.connectAsync(broker.url, { protocolVersion: version, clientId: `cloud-${station}`, reconnectPeriod: 0 }),
  replyPrefix: (station) => `cloud/replies/${station}`,
}));
