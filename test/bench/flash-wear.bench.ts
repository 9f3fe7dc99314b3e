import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, bench, describe } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation } from '../helpers/full-station.js';
import { GATEWAY_NODE_FLAGS } from '../../gateway/cli/gateway-node-flags.js';
import { SESSIONS_CATCH_UP_MS } from '../../gateway/store/station-store.js';
import { UsageSessions } from '../../gateway/store/usage-sessions.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { StationWorkload } from '../helpers/station-workload.js';
import { waitFor } from '../helpers/wait-for.js';
import { runBareWriter, type BareEvent } from '../soak/bare-writer.js';
import { measureRetentionWear } from '../soak/retention-wear.js';
import { diskBackedTempDir, ioDelta, readProcIo } from '../soak/proc-io.js';
import { reportBench } from './bench-report.js';

/*
 * Flash wear (issue 22): bytes the gateway process writes to the disk, from its own I/O
 * accounting (/proc/<pid>/io write_bytes), while it runs the whole demo station (five devices
 * polled, store on a real disk, bridge on the embedded broker): first idle (nobody at the door),
 * extrapolated to a day from the measured period, then under the soak's workload (unlocks, scans,
 * swaps, water, people coming and going), per event stored. Baseline: a bare better-sqlite3
 * writer in its own process, writing the same event rows at the same pragmas, one transaction per
 * event, measured the same way; and the same writer doing also what the contract keeps of those
 * events in the fewest writes (each grant's replay claim in its transaction, its first outcome,
 * the delivery marks in one commit), the floor of what the gateway must write; written once in a
 * burst and once with each event at its own time, as the station's came (a commit seconds after
 * the last costs more than one right after it: bare-writer.ts).
 *
 * A fresh demo station has nothing past its retention; a station in service for months deletes
 * its oldest history every day. That part is measured apart, on the store alone with a simulated
 * clock: 91 days of delivered history, three hours of upkeep rounds a minute apart, against a bare
 * better-sqlite3 process deleting the same rows once an hour.
 *
 *   FLASH_WEAR_IDLE_SECONDS (default 900, the clock tick's period: the time floor and the anchor go
 *   to disk in fifteen-minute steps, the idle station's one periodic write, and a window of one
 *   period holds one of them wherever it starts), FLASH_WEAR_STEPS
 *   (workload steps, default 40)
 */

const IDLE_SECONDS = Number(process.env['FLASH_WEAR_IDLE_SECONDS'] || 900);
const STEPS = Number(process.env['FLASH_WEAR_STEPS'] || 40);
/** A station past its retention: what a busy station logs in a day, and simulated upkeep rounds (a minute each). */
const RETENTION_EVENTS_PER_DAY = 500;
const RETENTION_ROUNDS = 180;
/** Issue 22's target for an idle station. */
const IDLE_TARGET_BYTES_PER_DAY = 5 * 1024 * 1024;
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Whether every stored event has been delivered and marked so (false while metrics do not answer). */
async function allDelivered(port: number): Promise<boolean> {
  try {
    return ((await scrape(port))['station_outbox_pending_events'] ?? 1) === 0;
  } catch {
    return false;
  }
}

async function scrape(port: number): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) sums[m[1] as string] = (sums[m[1] as string] ?? 0) + Number(m[2]);
  }
  return sums;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;

describe(`flash wear of the demo station: ${IDLE_SECONDS} s idle, then ${STEPS} workload steps`, () => {
  bench(
    'gateway process vs a bare better-sqlite3 writer of the same events',
    async () => {
      const dir = diskBackedTempDir('station-flash-', join(packageRoot(), '.bench'));
      cleanups.push(() => dir.remove());
      const broker: EmbeddedBroker = await startEmbeddedBroker({ port: await freePort() });
      cleanups.push(() => broker.close());
      const station = await writeFullStation(dir.path, { stationId: 'flash-0001', brokerUrl: broker.url, metrics: true });
      const sim: StationSimulator = await startStationSimulator(loadStationConfig(station.configFile), { seed: 7 });
      cleanups.push(() => sim.stop());
      const gateway: RunningProcess = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile], { nodeFlags: GATEWAY_NODE_FLAGS });
      cleanups.push(() => gateway.stop());
      const workload = new StationWorkload({ stationId: station.stationId, brokerUrl: broker.url, key: station.key, sim });
      cleanups.push(() => workload.stop());
      const metricsPort = station.metricsPort as number;
      await gateway.waitForOutput('station-gateway ready', 30_000);
      await workload.start();
      // Idle means nobody comes: the simulated occupancy sensors' people otherwise come and go by
      // chance, and each visit is a session event (an event, not idle wear).
      const occupancy = sim.devices.filter((d) => d.kind === 'occupancy');
      for (const d of occupancy) {
        await d.command('wander off');
        await d.command('people 0');
      }
      const pid = gateway.child.pid as number;
      console.log(`flash wear: gateway pid ${pid}, store in ${dir.path} (${dir.fsType})`);
      // Past the boot's own writes (migrations, boot counter, devices coming online, and the
      // catch-up that derives their sessions minutes later): a station writes them once a boot.
      await waitFor(() => allDelivered(metricsPort), 30_000, 'the boot events delivered');
      await waitFor(() => sessionsDerived(station.dbFile), SESSIONS_CATCH_UP_MS + 60_000, "the boot events' sessions derived");
      await sleep(10_000);

      const idleEvents0 = (await scrape(metricsPort))['station_events_total'] ?? 0;
      const idleLog0 = gateway.output().length;
      const idle0 = readProcIo(pid);
      const idleStart = Date.now();
      await sleep(IDLE_SECONDS * 1000);
      const idle = ioDelta(readProcIo(pid), idle0);
      const idleSeconds = (Date.now() - idleStart) / 1000;
      const idleEvents = ((await scrape(metricsPort))['station_events_total'] ?? 0) - idleEvents0;
      const idleLog = gateway.output().length - idleLog0;

      if (idleEvents > 0) console.log(`flash wear: ${idleEvents} events in the idle window; the idle line includes them`);
      for (const d of occupancy) await d.command('wander on');
      const seq0 = maxSeq(station.dbFile);
      const busy0 = readProcIo(pid);
      const busyStart = Date.now();
      for (let n = 0; n < STEPS; n++) {
        await workload.step(n);
        await sleep(500);
      }
      // Every event delivered and its delivery marked, and its session derived: part of what an
      // event costs, though the catch-up comes minutes after it (SESSIONS_CATCH_UP_MS).
      await waitFor(() => allDelivered(metricsPort), 60_000, 'the workload events delivered');
      await waitFor(() => sessionsDerived(station.dbFile), SESSIONS_CATCH_UP_MS + 60_000, "the workload events' sessions derived");
      const busy = ioDelta(readProcIo(pid), busy0);
      const busySeconds = (Date.now() - busyStart) / 1000;

      gateway.child.kill('SIGTERM');
      await gateway.exited;
      const { schema, replaySchema, rows } = eventsAfter(station.dbFile, seq0);
      if (rows.length === 0) throw new Error('the workload stored no events');
      const grants = rows.filter((r) => r.type === 'access.granted').length;
      const contractSchema = `${schema}\n${replaySchema}`;
      const span = (Date.parse(rows.at(-1)?.ts ?? '') - Date.parse(rows[0]?.ts ?? '')) / 1000;
      const baselines = [
        { name: 'bare better-sqlite3 writer, same events and pragmas', detail: "the gateway's 1 KB pages", io: await runBareWriter(dir.path, schema, rows) },
        { name: "bare writer at SQLite's default 4 KB pages", detail: "SQLite's default 4 KB pages", io: await runBareWriter(dir.path, schema, rows, { pageSize: 4096 }) },
        {
          name: "bare writer, the same events with their grants' replay claims and delivery marks",
          detail: `with the ${grants} grants' replay claims and outcomes and the delivery marks, in a burst`,
          io: await runBareWriter(dir.path, contractSchema, rows, { mode: 'contract' }),
        },
        {
          name: 'the same bare writer, each event at its own time (paced as at the station)',
          detail: `the same writes, each event at its own time (${span.toFixed(0)} s)`,
          io: await runBareWriter(dir.path, contractSchema, rows, { mode: 'contract', paced: true }),
        },
      ];

      const idlePerDay = (idle.writeBytes / idleSeconds) * 86_400;
      // The idle rate goes on under the workload; what is left is the events' own cost.
      const busyNet = busy.writeBytes - (idle.writeBytes / idleSeconds) * busySeconds;
      const perEvent = busyNet / rows.length;
      console.log(
        [
          `idle ${idleSeconds.toFixed(0)} s: write_bytes ${kb(idle.writeBytes)} (${(idlePerDay / 2 ** 20).toFixed(2)} MB/day extrapolated), wchar ${kb(idle.wchar)}, ${idle.syscw} write calls, ${idleEvents} events, log ${kb(idleLog)}`,
          `workload ${busySeconds.toFixed(0)} s, ${rows.length} events: write_bytes ${kb(busy.writeBytes)} (${kb(busyNet)} above the idle rate, ${kb(perEvent)}/event), wchar ${kb(busy.wchar)}, ${busy.syscw} write calls`,
          ...baselines.map(
            ({ detail, io }) =>
              `bare writer, same ${rows.length} events, ${detail}: write_bytes ${kb(io.writeBytes)} (${kb(io.writeBytes / rows.length)}/event), wchar ${kb(io.wchar)}, ${io.syscw} write calls`,
          ),
        ].join('\n'),
      );
      const row = { bench: 'flash wear, demo station (write_bytes)', higherIsBetter: false };
      reportBench({ ...row, figure: `idle, per day (extrapolated from ${idleSeconds.toFixed(0)} s)`, unit: 'MB', gateway: idlePerDay / 2 ** 20, baselineName: 'issue 22 target', baseline: IDLE_TARGET_BYTES_PER_DAY / 2 ** 20 });
      for (const { name, io } of baselines) {
        reportBench({ ...row, figure: `per event (${rows.length} events, above the idle rate)`, unit: 'kB', gateway: perEvent / 1024, baselineName: name, baseline: io.writeBytes / rows.length / 1024 });
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});

/** `read` on a read-only connection of its own to the gateway's store, closed after. */
function readStore<T>(dbFile: string, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The SQL that made `table` and its indexes. */
function tableSchema(db: BetterSqlite3.Database, table: string): string {
  const ddl = db.prepare('SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC').pluck().all(table) as string[];
  return ddl.map((sql) => `${sql};`).join('\n');
}

/** Whether the usage sessions are derived up to the last event (false for a second, so a poll of it sleeps). */
async function sessionsDerived(dbFile: string): Promise<boolean> {
  if (readStore(dbFile, (db) => new UsageSessions(db).behind()) === 0) return true;
  await sleep(1000);
  return false;
}

function maxSeq(dbFile: string): number {
  return readStore(dbFile, (db) => db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number);
}

/** The events stored after `seq`, and the SQL that made their table and `replay_cache` (with their indexes), for the bare writer. */
function eventsAfter(dbFile: string, seq: number): { schema: string; replaySchema: string; rows: BareEvent[] } {
  return readStore(dbFile, (db) => ({
    schema: tableSchema(db, 'events'),
    replaySchema: tableSchema(db, 'replay_cache'),
    rows: db.prepare('SELECT id, ts, type, device, data FROM events WHERE seq > ? ORDER BY seq').all(seq) as BareEvent[],
  }));
}

describe(`flash wear of housekeeping past the retention: ${RETENTION_EVENTS_PER_DAY} events a day, ${RETENTION_ROUNDS} rounds`, () => {
  bench(
    'station store housekeeping vs a bare hourly delete of the same rows',
    async () => {
      const dir = diskBackedTempDir('station-retention-', join(packageRoot(), '.bench'));
      cleanups.push(() => dir.remove());
      const store = await measureRetentionWear('store', RETENTION_EVENTS_PER_DAY, RETENTION_ROUNDS, dir.path);
      const bare = await measureRetentionWear('bare', RETENTION_EVENTS_PER_DAY, RETENTION_ROUNDS, dir.path);
      const perDay = (w: { writeBytes: number; rounds: number }): number => (w.writeBytes / w.rounds) * 1440;
      console.log(`retention: store ${kb(store.writeBytes)} over ${store.rounds} rounds, ${store.deleted} deleted; bare ${kb(bare.writeBytes)}, ${bare.deleted} deleted`);
      if (store.deleted !== bare.deleted) throw new Error(`the two sides deleted ${store.deleted} and ${bare.deleted} events`);
      reportBench({
        bench: 'flash wear, housekeeping past the retention (write_bytes)',
        figure: `per day (${RETENTION_EVENTS_PER_DAY} events a day, extrapolated from ${RETENTION_ROUNDS} simulated minutes)`,
        unit: 'MB',
        gateway: perDay(store) / 2 ** 20,
        baselineName: 'bare better-sqlite3 delete of the same rows once an hour',
        baseline: perDay(bare) / 2 ** 20,
        higherIsBetter: false,
      });
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
