import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { reportBench } from './bench-report.js';

// The compiled dist/ that ships to the box (`npm run bench` builds it first), as in
// store-append.bench.ts: vitest's on-the-fly transform of the sources is not what a station runs.
// The broker comes from it too, so both sides publish to the same code.
const { startEmbeddedBroker } = (await import(distEntry('cloud-bridge', 'embedded-broker.js'))) as typeof import('../../cloud-bridge/embedded-broker.js');
const { OutboxRelay } = (await import(distEntry('cloud-bridge', 'outbox-relay.js'))) as typeof import('../../cloud-bridge/outbox-relay.js');
const { silentLogger } = (await import(distEntry('gateway', 'runtime', 'logger.js'))) as typeof import('../../gateway/runtime/logger.js');
const { EventOutbox } = (await import(distEntry('gateway', 'store', 'event-outbox.js'))) as typeof import('../../gateway/store/event-outbox.js');
const { openDatabase } = (await import(distEntry('gateway', 'store', 'open-database.js'))) as typeof import('../../gateway/store/open-database.js');

/*
 * Draining a 100k-event backlog to the broker (aedes, in process, over a real socket): the
 * gateway's OutboxRelay (SQLite reads, QoS 1 window, delivery marks in batches, pacing off) against
 * a raw MQTT.js QoS 1 publish loop of the same payloads with the same window and no database.
 * The ratio is the cost of durability; each side drains the whole backlog once per run.
 */

const EVENTS = 100_000;
const WINDOW = 32;
const TOPIC = 'stations/bench-1/events';
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let template: string;
let payloads: string[];
let consumer: MqttClient;
let received = 0;

beforeAll(async () => {
  dir = tempDir('bench-');
  broker = await startEmbeddedBroker({ port: 0 });
  template = join(dir.path, 'template.db');
  const { db } = openDatabase(template);
  const outbox = new EventOutbox(db);
  db.transaction(() => {
    for (let n = 0; n < EVENTS; n++) outbox.append({ type: 'door.opened', device: 'lock-1', data: { door: 1, n } });
  })();
  payloads = outbox.pending(EVENTS).map(({ seq: _seq, ...e }) => JSON.stringify(e));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  // A consumer on the events, so the broker does the work it does in the field.
  consumer = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'bench-consumer' });
  consumer.on('message', () => received++);
  await consumer.subscribeAsync(TOPIC, { qos: 1 });
});

afterAll(async () => {
  reportBench({
    bench: `drain a ${EVENTS / 1000}k-event backlog, QoS 1`,
    figure: 'throughput',
    unit: 'events/s',
    gateway: rates.get('OutboxRelay') ?? 0,
    baselineName: 'raw MQTT.js publish loop',
    baseline: rates.get('raw MQTT.js') ?? 0,
    higherIsBetter: true,
  });
  await consumer.endAsync(true);
  await broker.close();
  dir.remove();
});

const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

const rates = new Map<string, number>();

function report(what: string, started: number): void {
  const s = (performance.now() - started) / 1000;
  rates.set(what, EVENTS / s);
  console.log(`${what}: ${EVENTS} events in ${s.toFixed(2)} s = ${Math.round(EVENTS / s)} events/s`);
}

describe(`drain a ${EVENTS / 1000}k-event backlog, QoS 1, window ${WINDOW}`, () => {
  let run = 0;
  bench(
    'OutboxRelay from SQLite (gateway)',
    async () => {
      const file = join(dir.path, `run-${run++}.db`);
      copyFileSync(template, file);
      const { db } = openDatabase(file);
      const outbox = new EventOutbox(db);
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `relay-${run}`, clean: true });
      const started = performance.now();
      const relay = new OutboxRelay({ outbox, topic: TOPIC, log: silentLogger(), window: WINDOW, pacing: { ratePerSecond: Infinity, burst: 1 } });
      relay.attach(client);
      const drained = await relay.flush(600_000);
      report('OutboxRelay', started);
      if (!drained || outbox.pendingCount() !== 0) throw new Error('backlog not drained');
      relay.detach();
      await client.endAsync(true);
      db.close();
    },
    once,
  );

  bench(
    'raw MQTT.js publish loop (baseline)',
    async () => {
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `raw-${run++}`, clean: true });
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        let next = 0;
        let acked = 0;
        const pump = (): void => {
          while (next < payloads.length && next - acked < WINDOW) {
            client.publish(TOPIC, payloads[next++] as string, { qos: 1 }, (err) => {
              if (err) return reject(err);
              if (++acked === payloads.length) resolve();
              else pump();
            });
          }
        };
        pump();
      });
      report('raw MQTT.js', started);
      await client.endAsync(true);
    },
    once,
  );
});
