import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { refusalSuite, type RefusalBroker } from '../gateway/access/refusal-suite.js';
import { tlsClient } from './interop-clients.js';
import { Mosquitto } from './mosquitto.js';
import { makePki, type Pki } from './pki.js';

/*
 * The refusal codes over a real Mosquitto 2 with the fleet's ACL and TLS: MQTT 5 (response topic,
 * correlation data) and 3.1.1 (replyTo in the payload), replies on `S/replies/...` as the ACL
 * allows. The same suite runs on the embedded broker in npm test.
 */

let dir: ReturnType<typeof tempDir>;
let pki: Pki;
let broker: Mosquitto;

beforeAll(async () => {
  dir = tempDir('refusals-');
  pki = makePki(dir.path);
  broker = new Mosquitto(dir.path, await freePort(), pki);
  await broker.start();
});
afterAll(async () => {
  await broker?.stop();
  dir?.remove();
});

const onMosquitto = (): RefusalBroker => ({
  cloudSection(station, version) {
    const { cert, key } = pki.client(station);
    return `cloud: { url: ${broker.url}, protocolVersion: ${version}, ca: ${pki.ca}, cert: ${cert}, key: ${key} }`;
  },
  backend: (_station, version) => tlsClient(broker, pki, 'cloud-backend', version, { reconnectPeriod: 0 }),
  replyPrefix: (station) => `stations/${station}/replies`,
});

refusalSuite('MQTT 5, Mosquitto', 5, onMosquitto);
refusalSuite('MQTT 3.1.1, Mosquitto', 4, onMosquitto);
