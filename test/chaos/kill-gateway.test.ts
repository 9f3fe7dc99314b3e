import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { StationWorkload } from '../helpers/station-workload.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { chaosRandom, readEvents, startGateway, tail } from './chaos-harness.js';

/*
 * The gateway SIGKILLed at random moments (seeded), many times, while simulated workers unlock
 * (cloud commands and scanner scans, fresh tokens), swap batteries and draw water, and the broker
 * stops and comes back on the same port (keeping its sessions, as a broker with persistence does).
 * A persistent subscriber (clean: false, QoS 1, fixed client id) records S/events. After a final
 * run that empties the outbox, every row of the database (what the gateway acknowledged as
 * written) reached the subscriber, exactly once by id after dedup, in seq order of first arrival,
 * nothing the database lacks; duplicates only across a disruption (a kill or a broker restart).
 */

const STATION = 'chaos-kill-0001';
const KILLS = Number(process.env['CHAOS_KILLS'] ?? 12);
const BROKER_OUTAGES = 3;

interface Arrival {
  id: string;
  /** Disruptions (kills, broker restarts) before this message arrived. */
  epoch: number;
}

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker | undefined;
let brokerPort: number;
let station: FullStation;
let sim: StationSimulator | undefined;
let subscriber: MqttClient | undefined;
let workload: StationWorkload | undefined;
let gateway: RunningProcess | undefined;
/** Workers and broker outages run while this is true; their loops, for afterAll to wait on. */
let working = false;
const loops: Array<Promise<void>> = [];

beforeAll(async () => {
  dir = tempDir('station-chaos-kill-');
  brokerPort = await freePort();
  broker = await startEmbeddedBroker({ port: brokerPort });
  station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url });
  sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 3 });
});

afterAll(async () => {
  working = false;
  await Promise.allSettled(loops);
  await gateway?.kill();
  await workload?.stop();
  await subscriber?.endAsync(true).catch(() => undefined);
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('the gateway killed at random moments while workers use the station and the broker comes and goes', () => {
  it('delivers every event it wrote exactly once by id, in order, and its local log agrees', { timeout: 90_000 + KILLS * 6000 }, async () => {
    const { seed, random } = chaosRandom('kill-gateway');
    const between = (lo: number, hi: number): number => Math.round(lo + random() * (hi - lo));
    const arrivals: Arrival[] = [];
    let epoch = 0;

    subscriber = await mqtt.connectAsync(broker!.url, { protocolVersion: 4, clientId: 'chaos-subscriber', clean: false, reconnectPeriod: 200 });
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_topic, payload) => arrivals.push({ id: (JSON.parse(payload.toString('utf8')) as { id: string }).id, epoch }));
    await subscriber.subscribeAsync(`stations/${STATION}/events`, { qos: 1 });

    workload = new StationWorkload({ stationId: STATION, brokerUrl: broker!.url, key: station.key, sim: sim!, doorWaitMs: 3000 });
    await workload.start();
    working = true;
    const workers = (async () => {
      for (let n = 0; working; n++) {
        await workload!.step(n);
        await sleep(between(100, 600));
      }
    })();

    // The broker goes away a few times, at seeded moments, while the kills go on.
    const outages: number[] = [];
    const brokerChaos = (async () => {
      for (let i = 0; i < BROKER_OUTAGES && working; i++) {
        await sleep(between(4000, 9000));
        const old = broker!;
        broker = undefined;
        await old.close();
        epoch++;
        const down = between(500, 3000);
        outages.push(down);
        await sleep(down);
        broker = await startEmbeddedBroker({ port: brokerPort, sessionsFrom: old });
      }
    })();
    loops.push(workers, brokerChaos);

    const killedAfter: number[] = [];
    const exits: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      gateway = startGateway(station.configFile);
      // Any moment: during start-up, mid-unlock, mid-publish.
      const after = between(300, 4500);
      await sleep(after);
      killedAfter.push(after);
      const early = gateway.child.exitCode;
      if (early !== null) exits.push(`run ${k} exited by itself (${early}): ${tail(gateway, 10)}`);
      await gateway.kill();
      epoch++;
    }
    working = false;
    await brokerChaos;
    await workers;
    expect(exits).toEqual([]);

    // The final run: no more kills, no more workers; it empties its outbox.
    gateway = startGateway(station.configFile);
    await gateway.waitForOutput('station-gateway ready', 20_000);
    const arrived = (): Set<string> => new Set(arrivals.map((a) => a.id));
    await waitFor(
      () => {
        const rows = readEvents(station.dbFile);
        const got = arrived();
        return rows.length > 0 && rows.every((r) => r.delivered_at !== null && got.has(r.id));
      },
      45_000,
      'the outbox empty and every stored event at the subscriber',
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\ngateway:\n${tail(gateway)}`);
    });
    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code).toBe(0);
    await sleep(300); // anything published while stopping reaches the subscriber too

    const rows = readEvents(station.dbFile);
    const dbIds = rows.map((r) => r.id);
    const firstArrival = new Map<string, Arrival & { index: number }>();
    const duplicates: Array<{ id: string; firstEpoch: number; epoch: number }> = [];
    arrivals.forEach((a, index) => {
      const first = firstArrival.get(a.id);
      if (first) duplicates.push({ id: a.id, firstEpoch: first.epoch, epoch: a.epoch });
      else firstArrival.set(a.id, { ...a, index });
    });
    const report = {
      seed,
      kills: KILLS,
      killedAfterMs: killedAfter,
      brokerOutagesMs: outages,
      events: rows.length,
      arrivals: arrivals.length,
      duplicates: duplicates.length,
      actions: Object.fromEntries(workload.actions),
      replies: Object.fromEntries(workload.replies),
      types: rows.reduce<Record<string, number>>((t, r) => ({ ...t, [r.type]: (t[r.type] ?? 0) + 1 }), {}),
    };
    process.stdout.write(`[chaos] kill-gateway: ${JSON.stringify(report)}\n`);

    // Every stored event arrived; nothing arrived that the database lacks.
    expect(dbIds.filter((id) => !firstArrival.has(id))).toEqual([]);
    const stored = new Set(dbIds);
    expect([...firstArrival.keys()].filter((id) => !stored.has(id))).toEqual([]);
    // In order: the first arrivals, in seq order of the database.
    const order = rows.map((r) => (firstArrival.get(r.id) as { index: number }).index);
    const outOfOrder = order.flatMap((index, i) => (i > 0 && index < (order[i - 1] as number) ? [rows[i]] : []));
    expect(outOfOrder).toEqual([]);
    // A second copy only across a disruption the gateway could not see past (its PUBACK lost).
    expect(duplicates.filter((d) => d.epoch === d.firstEpoch)).toEqual([]);
    // The run did what it claims: workers were served, and access and usage events were stored.
    expect(report.types['access.granted'] ?? 0).toBeGreaterThan(0);
    expect(report.types['gateway.started'] ?? 0).toBeGreaterThan(KILLS / 2);

    // The crew's view, `station-gateway log`, agrees with the database row for row.
    const logged = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['log', '--config', station.configFile, '--csv']);
    expect((await logged.exited).code).toBe(0);
    const lines = logged.output().trim().split('\n');
    expect(lines[0]).toBe('id,ts,type,device,delivered_at,data');
    const csvRows = lines.slice(1).map((l) => l.split(','));
    expect(csvRows.map((f) => f[0])).toEqual(dbIds);
    expect(csvRows.map((f) => f[2])).toEqual(rows.map((r) => r.type));
    expect(csvRows.filter((f) => !f[4])).toEqual([]);
  });
});
