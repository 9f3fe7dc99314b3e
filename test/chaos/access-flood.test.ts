import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { generateIssuerKey, issueToken } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startGateway, tail } from './chaos-harness.js';

/*
 * A flood of unsigned junk on both access paths at once, on the default budget of 20 attempts a
 * minute per source: 500 MQTT publishes a second to S/cmd/unlock (not a token, an unknown key, a
 * forged signature under the trusted kid, alg none) and 50 scanner lines a second (the simulated
 * scanner on its pty; about what a 9600-baud line carries of short codes), while one worker unlocks every 2 s,
 * alternating the cloud and the scanner with fresh tokens. Every valid unlock must succeed; the
 * junk is counted in metrics and written down once a minute per source. The gateway's CPU and
 * RSS are read from /proc before and during the flood and printed.
 */

const STATION = 'chaos-flood-0001';
const S = `stations/${STATION}`;
const FLOOD_MS = 30_000;
const VALID_EVERY_MS = 2000;
const CLOUD_JUNK_PER_100MS = 50;
const SCAN_JUNK_EVERY_MS = 20;

let dir: ReturnType<typeof tempDir> | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;
let gateway: RunningProcess | undefined;
let recorder: MqttRecorder | undefined;
const clients: MqttClient[] = [];

afterAll(async () => {
  await gateway?.stop();
  for (const c of clients) await c.endAsync(true);
  await recorder?.close();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function sample(pid: number): { cpuSeconds: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: ticks / 100, rssKb: Number(rss?.[1] ?? 0) };
}

/** Average CPU share and the highest RSS over a window, sampled every 500 ms. */
async function measure(pid: number, ms: number, during: () => Promise<void>): Promise<{ cpuPercent: number; rssMaxMb: number; rssEndMb: number }> {
  const start = sample(pid);
  const t0 = performance.now();
  let rssMax = start.rssKb;
  let last = start;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      await sleep(500);
      last = sample(pid);
      rssMax = Math.max(rssMax, last.rssKb);
    }
  })();
  await Promise.race([during(), sleep(ms)]);
  done = true;
  await sampler;
  const seconds = (performance.now() - t0) / 1000;
  return { cpuPercent: Math.round(((last.cpuSeconds - start.cpuSeconds) / seconds) * 1000) / 10, rssMaxMb: Math.round(rssMax / 102.4) / 10, rssEndMb: Math.round(last.rssKb / 102.4) / 10 };
}

describe('an access flood', () => {
  it('costs the attacker, not the worker: every valid unlock succeeds while junk floods both paths', { timeout: 120_000 }, async () => {
    dir = tempDir('station-chaos-flood-');
    broker = await startEmbeddedBroker({ port: await freePort() });
    const station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, metrics: true });
    // The default budget, as on a real station (the helper raises it for the load tests).
    writeFileSync(station.configFile, readFileSync(station.configFile, 'utf8').replace('scansPerMinute: 600', 'scansPerMinute: 20'));
    sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 6 });
    recorder = await MqttRecorder.connect(broker.url, `${S}/#`);
    const rec = recorder;
    const replies = await MqttRecorder.connect(broker.url, 'flood/replies/#');
    gateway = startGateway(station.configFile);
    const fail = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${String(err)}\ngateway:\n${tail(gateway, 30)}`);
    };
    await gateway.waitForOutput('station-gateway ready', 20_000).catch(fail('start'));
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online' && m.body['device'] === 'lock-1', 20_000).catch(fail('lock online'));
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online' && m.body['device'] === 'scanner-1', 20_000).catch(fail('scanner online'));
    const pid = gateway.child.pid!;

    // Junk anyone can make: a forged signature under the trusted kid costs the gateway the most.
    const impostor = { ...(await generateIssuerKey(station.key.kid)) };
    const forged = await issueToken(impostor, { station: STATION, res: 'main-door', act: 'unlock' });
    const unknownKey = await issueToken(await generateIssuerKey('k-nobody'), { station: STATION, res: 'main-door', act: 'unlock' });
    const junk = [forged, unknownKey, 'not-a-token', `${forged.slice(0, -6)}AAAAAA`, 'eyJhbGciOiJub25lIn0.eyJyZXMiOiJtYWluLWRvb3IifQ.'];

    const cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'flood-cloud' });
    const attacker = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'flood-attacker' });
    clients.push(cloud, attacker);

    const baseline = await measure(pid, 3000, async () => undefined);
    let running = true;
    let cloudJunk = 0;
    let scanJunk = 0;
    const cloudFlood = (async () => {
      while (running) {
        for (let i = 0; i < CLOUD_JUNK_PER_100MS; i++) attacker.publish(`${S}/cmd/unlock`, JSON.stringify({ token: junk[cloudJunk++ % junk.length] }), { qos: 0 });
        await sleep(100);
      }
    })();
    const scanFlood = (async () => {
      while (running) {
        // Short junk: the scanner's 9600-baud line is what bounds this path in the field.
        await sim!.command(`scanner-1 scan ${scanJunk % 10 === 0 ? forged : `junk-${scanJunk}.x.y`}`);
        scanJunk++;
        await sleep(SCAN_JUNK_EVERY_MS);
      }
    })();

    const results: Array<{ via: string; ok: boolean; detail: string }> = [];
    let n = 0;
    const valid = async (): Promise<void> => {
      const deadline = performance.now() + FLOOD_MS;
      while (performance.now() < deadline) {
        const k = n++;
        const jti = `flood-valid-${k}`;
        const token = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'night-rider', jti });
        if (k % 2 === 0) {
          await cloud.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: `flood/replies/${k}`, correlationId: String(k) }), { qos: 1 });
          const reply = await replies.waitFor(`flood/replies/${k}`, () => true, 10_000).catch(() => undefined);
          results.push({ via: 'cloud', ok: reply?.body['ok'] === true, detail: JSON.stringify(reply?.body ?? 'no reply') });
        } else {
          await sim!.command(`scanner-1 scan ${token}`);
          const granted = await rec
            .waitFor(`${S}/events`, (m) => m.body['type'] === 'access.granted' && (m.body['data'] as { jti?: string }).jti === jti, 10_000)
            .catch(() => undefined);
          const denied = rec.on(`${S}/events`).find((m) => m.body['type'] === 'access.denied' && (m.body['data'] as { jti?: string }).jti === jti);
          results.push({ via: 'scanner', ok: granted !== undefined, detail: JSON.stringify(denied?.body['data'] ?? (granted ? 'granted' : 'no event')) });
        }
        await sleep(VALID_EVERY_MS);
      }
    };
    const flood = await measure(pid, FLOOD_MS + 15_000, valid);
    running = false;
    await Promise.all([cloudFlood, scanFlood]);
    expect(gateway.child.exitCode, tail(gateway, 30)).toBeNull();

    const metrics = await (await fetch(`http://127.0.0.1:${station.metricsPort}/metrics`)).text();
    const junkCount = (via: string): number =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith('station_access_junk_total{') && l.includes(`via="${via}"`))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    const deniedJunk = rec.on(`${S}/events`).filter((m) => m.body['type'] === 'access.denied' && ['BAD_TOKEN', 'UNKNOWN_KEY'].includes((m.body['data'] as { code: string }).code));
    const summary = {
      floodSeconds: FLOOD_MS / 1000,
      cloudJunkSent: cloudJunk,
      scanJunkSent: scanJunk,
      junkCounted: { cloud: junkCount('cloud'), scanner: junkCount('scanner-1') },
      junkEventsWritten: deniedJunk.length,
      validUnlocks: results.length,
      validOk: results.filter((r) => r.ok).length,
      gatewayIdle: baseline,
      gatewayDuringFlood: flood,
    };
    process.stdout.write(`[chaos] access-flood: ${JSON.stringify(summary)}\n`);
    expect(results.filter((r) => !r.ok), JSON.stringify(results)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(10);
    expect(results.some((r) => r.via === 'scanner') && results.some((r) => r.via === 'cloud')).toBe(true);
    // The flood was real and it was counted, on both paths, and written down once a minute, not per attempt.
    expect(junkCount('cloud')).toBeGreaterThan(5000);
    expect(junkCount('scanner-1')).toBeGreaterThan(300);
    expect(deniedJunk.length).toBeLessThanOrEqual(6);
    await replies.close();
  });
});
