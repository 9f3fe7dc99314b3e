import { appendFileSync, createWriteStream, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { startEmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { startStationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation } from '../helpers/full-station.js';
import { distEntry, runNode } from '../helpers/processes.js';
import { StationWorkload } from '../helpers/station-workload.js';
import { LiveHeap } from './live-heap.js';
import { diskBackedTempDir, readProcIo } from './proc-io.js';
import { renderSoakPlot, soakSummary, SOAK_COLUMNS, type SoakSample } from './soak-report.js';

/*
 * The soak run (not in CI): the whole station (embedded broker, every device simulated, the
 * gateway as its own process from dist/) under simulated workers for --minutes N, sampling the
 * gateway every 10 s: resident memory, heap, CPU, event-loop lag, open descriptors, database size.
 * Writes soak-results/<start>/soak.csv, soak.svg, summary.json and the gateway's log.
 *
 *   npm run soak -- --minutes 30 [--action-seconds 3] [--sample-seconds 10] [--live-heap]
 *
 * --live-heap starts the gateway with the inspector on 127.0.0.1 and, at each sample, forces a
 * full GC and reads the heap still held (a leak's slope, free of the collector's sawtooth).
 */

const USAGE = 'Usage: npm run soak -- --minutes N [--action-seconds S] [--sample-seconds S] [--live-heap] [--out DIR]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { minutes: { type: 'string' }, 'live-heap': { type: 'boolean' }, 'action-seconds': { type: 'string' }, 'sample-seconds': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  const minutes = Number(values.minutes ?? 30);
  const actionMs = Number(values['action-seconds'] ?? 3) * 1000;
  const sampleMs = Number(values['sample-seconds'] ?? 10) * 1000;
  if (values.help || !(minutes > 0) || !(actionMs > 0) || !(sampleMs > 0)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const out = values.out ?? join(packageRoot(), 'soak-results', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(out, { recursive: true });

  // On a block device, or write_bytes reads 0 (a tmpfs /tmp).
  const dir = diskBackedTempDir('station-soak-', join(packageRoot(), 'soak-results'));
  const broker = await startEmbeddedBroker({ port: await freePort() });
  const station = await writeFullStation(dir.path, { stationId: 'soak-0001', brokerUrl: broker.url, metrics: true });
  const sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 7 });
  const inspectPort = values['live-heap'] ? await freePort() : undefined;
  const gateway = withNodeOptions(inspectPort === undefined ? undefined : `--inspect=127.0.0.1:${inspectPort}`, () =>
    runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', station.configFile]),
  );
  let liveHeap: LiveHeap | undefined;
  const log = createWriteStream(join(out, 'gateway.log'));
  gateway.child.stdout?.pipe(log);
  gateway.child.stderr?.pipe(log);
  const workload = new StationWorkload({ stationId: station.stationId, brokerUrl: broker.url, key: station.key, sim });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    await gateway.waitForOutput('station-gateway ready', 30_000);
    if (inspectPort !== undefined) liveHeap = await LiveHeap.connect(inspectPort);
    await workload.start();
    await sleep(5000); // the devices' first polls: a worker who comes at once meets DEVICE_OFFLINE
    const pid = gateway.child.pid as number;
    const csv = join(out, 'soak.csv');
    writeFileSync(csv, `${SOAK_COLUMNS.join(',')}\n`);
    process.stdout.write(`soak: ${minutes} min, gateway pid ${pid}, results in ${out}\n`);

    const samples: SoakSample[] = [];
    const started = Date.now();
    const deadline = started + minutes * 60_000;
    const load = (async () => {
      for (let n = 0; !stopping && Date.now() < deadline; n++) {
        await workload.step(n);
        await sleep(actionMs);
      }
    })();
    let lastCpu = cpuSeconds(pid);
    let lastAt = Date.now();
    while (!stopping && Date.now() < deadline && gateway.child.exitCode === null) {
      await sleep(Math.min(sampleMs, Math.max(0, deadline - Date.now())));
      const now = Date.now();
      const cpu = cpuSeconds(pid);
      const metrics = await scrape(station.metricsPort as number);
      const io = readProcIo(pid);
      const sample: SoakSample = {
        seconds: Math.round((now - started) / 1000),
        rssMb: statusKb(pid, 'VmRSS') / 1024,
        heapMb: (metrics['nodejs_heap_size_used_bytes'] ?? 0) / 2 ** 20,
        externalMb: (metrics['nodejs_external_memory_bytes'] ?? 0) / 2 ** 20,
        liveHeapMb: liveHeap ? await liveHeap.usedMb() : 0,
        cpuPercent: (100 * (cpu - lastCpu)) / ((now - lastAt) / 1000),
        lagP99Ms: (metrics['nodejs_eventloop_lag_p99_seconds'] ?? 0) * 1000,
        lagMaxMs: (metrics['station_event_loop_lag_max_seconds'] ?? 0) * 1000,
        fds: readdirSync(`/proc/${pid}/fd`).length,
        dbKb: (fileSize(station.dbFile) + fileSize(`${station.dbFile}-wal`)) / 1024,
        writtenKb: io.writeBytes / 1024,
        wcharKb: io.wchar / 1024,
        events: metrics['station_events_total'] ?? 0,
        pending: metrics['station_outbox_pending_events'] ?? 0,
      };
      lastCpu = cpu;
      lastAt = now;
      samples.push(sample);
      appendFileSync(csv, `${SOAK_COLUMNS.map((c) => round(sample[c])).join(',')}\n`);
    }
    stopping = true;
    await load;
    const summary = {
      ...soakSummary(samples),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryMb: Math.round(totalmem() / 2 ** 20), node: process.version },
      actions: Object.fromEntries(workload.actions),
      replies: Object.fromEntries(workload.replies),
      eventsByType: eventsByType(station.dbFile),
      gatewayExit: gateway.child.exitCode,
    };
    writeFileSync(join(out, 'soak.svg'), renderSoakPlot(samples, `station-gateway soak, ${minutes} min`));
    writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return gateway.child.exitCode === null ? 0 : 1;
  } finally {
    liveHeap?.close();
    await workload.stop();
    gateway.child.kill('SIGTERM');
    await Promise.race([gateway.exited, sleep(7000)]);
    await gateway.kill();
    await sim.stop();
    await broker.close();
    dir.remove();
  }
}

/** Runs `start` with NODE_OPTIONS set for the child it spawns, and puts the parent's back. */
function withNodeOptions<T>(options: string | undefined, start: () => T): T {
  if (options === undefined) return start();
  const before = process.env['NODE_OPTIONS'];
  process.env['NODE_OPTIONS'] = [before, options].filter(Boolean).join(' ');
  try {
    return start();
  } finally {
    if (before === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = before;
  }
}

function eventsByType(dbFile: string): Record<string, number> {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    const rows = db.prepare('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type').all() as Array<{ type: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  } finally {
    db.close();
  }
}

function statusKb(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

/** utime + stime of the process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Sums each metric over its labels: enough for the gauges and counters sampled here. */
async function scrape(port: number): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z0-9_:]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
      if (m) sums[m[1] as string] = (sums[m[1] as string] ?? 0) + Number(m[2]);
    }
  } catch {
    // A missed scrape leaves the metrics at 0 for this sample; /proc still answers.
  }
  return sums;
}

const round = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(3));

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
