import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import type { EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import type { IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { reportBench } from './bench-report.js';
import { tempDir } from '../helpers/temp-dir.js';

/*
 * Unlock latency as a worker's phone sees it through the cloud: publish `cmd/unlock` → reply
 * received, p50 and p99, with the gateway and station-sim (door lock on a pty) as their own
 * processes on the embedded broker. Baseline in the same run: a bare MQTT echo round trip through
 * the same broker, answered by a plain mqtt.js responder in its own process. The difference is the
 * gateway's work: token verification, the replay claim and access.granted on disk (two fsyncs),
 * the UNLOCK exchange on the serial line.
 */

const { startEmbeddedBroker } = (await import(distEntry('cloud-bridge', 'embedded-broker.js'))) as typeof import('../../cloud-bridge/embedded-broker.js');
const { generateIssuerKey, issueToken, writeTrustedKeys } = (await import(distEntry('simulators', 'cloud', 'token-issuer.js'))) as typeof import('../../simulators/cloud/token-issuer.js');

const ROUNDS = 200;
const STATION = 'bench-acc-0001';
const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };
const results = new Map<string, { p50: number; p99: number }>();

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: RunningProcess;
let gateway: RunningProcess;
let echo: RunningProcess;
let key: IssuerKey;
let client: MqttClient;

beforeAll(async () => {
  dir = tempDir('bench-unlock-');
  key = await generateIssuerKey('bench-1');
  writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [key]);
  broker = await startEmbeddedBroker({ port: await freePort() });
  const configFile = join(dir.path, 'station.yaml');
  writeFileSync(
    configFile,
    `station: { id: ${STATION} }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
access: { trustedKeys: trusted.jwks.json, clockTrust: system, scansPerMinute: 600 }
log: { level: warn }
resources:
  main-door: { device: lock-1, door: 1, unlockMs: 100 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 5000, timeoutMs: 2000, offlineAfter: 5 }
`,
  );
  sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', configFile]);
  await sim.waitForOutput('ready');
  gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', configFile]);
  echo = runNode(fileURLToPath(new URL('./fixtures/mqtt-echo.mjs', import.meta.url)), [broker.url]);
  await echo.waitForOutput('echo ready');
  client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'bench-cloud' });
  (client.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
  await client.subscribeAsync('bench/replies/#', { qos: 1 });
  // The gateway is ready once its retained birth says online.
  await new Promise<void>((resolve) => {
    const probe = mqtt.connect(broker.url, { protocolVersion: 4 });
    probe.on('message', (_t, p) => {
      if ((JSON.parse(p.toString()) as { online?: boolean }).online) probe.end(true, {}, () => resolve());
    });
    probe.subscribe(`stations/${STATION}/status`);
  });
}, 60_000);

afterAll(async () => {
  await client?.endAsync(true);
  await gateway?.kill();
  await echo?.kill();
  await sim?.stop();
  await broker?.close();
  const g = results.get('gateway');
  const e = results.get('echo');
  if (g && e) {
    for (const q of ['p50', 'p99'] as const) {
      reportBench({ bench: 'unlock by cloud command', figure: `publish → reply ${q}`, unit: 'ms', gateway: g[q], baselineName: 'bare MQTT echo round trip', baseline: e[q], higherIsBetter: false });
    }
  }
  dir?.remove();
});

/** Sends one request and resolves with the round trip in ms. */
function roundTrip(topic: string, body: Record<string, unknown>, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const replyTo = `bench/replies/${n}`;
    const timer = setTimeout(() => reject(new Error(`no reply to ${topic} #${n}`)), 10_000);
    const onMessage = (t: string, payload: Buffer): void => {
      if (t !== replyTo) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      const reply = JSON.parse(payload.toString()) as { ok: boolean; error?: unknown };
      if (!reply.ok) return reject(new Error(`refused: ${JSON.stringify(reply.error)}`));
      resolve(performance.now() - started);
    };
    client.on('message', onMessage);
    const started = performance.now();
    client.publish(topic, JSON.stringify({ ...body, replyTo, correlationId: String(n) }), { qos: 1 });
  });
}

function summarise(what: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  results.set(what, { p50: at(0.5), p99: at(0.99) });
  console.log(`${what}: ${samples.length} round trips, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`);
}

let seq = 0;
describe(`unlock by cloud command, ${ROUNDS} in a row`, () => {
  bench(
    'gateway: cmd/unlock → reply',
    async () => {
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const token = await issueToken(key, { station: STATION, res: 'main-door', act: 'unlock' });
        samples.push(await roundTrip(`stations/${STATION}/cmd/unlock`, { token }, seq++));
      }
      summarise('gateway', samples);
    },
    once,
  );
  bench(
    'bare MQTT echo round trip (baseline)',
    async () => {
      const samples: number[] = [];
      for (let i = 0; i < ROUNDS; i++) samples.push(await roundTrip('bench/echo', {}, seq++));
      summarise('echo', samples);
    },
    once,
  );
});
