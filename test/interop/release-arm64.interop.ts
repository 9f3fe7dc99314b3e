import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { packageRoot } from '../../config/package-root.js';
import { bundleName } from '../../config/release-manifest.js';
import { crossBuildRelease, type CrossBuiltRelease } from '../../fleet/release/cross-build.js';
import { CROSS_TARGETS, emulatedNode, hasEmulator } from '../../fleet/release/cross-targets.js';
import { elfFilesUnder } from '../../fleet/release/elf-machine.js';
import { writeReleaseKey } from '../../fleet/release/release-key.js';
import { readReleasePublicKey, verifyBundleSignature, verifyUnpacked } from '../../gateway/update/verify-bundle.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * Issue 19, the box's own architecture: the linux-arm64 bundle built on this x64 machine (native
 * modules cross-compiled from source against the official Node.js 20 arm64 headers), then run
 * under qemu-user with that Node.js: verified as an arm64 box would, its native modules doing real
 * work (an SQLite file, bytes over a pty), and the whole gateway started from it against the
 * simulators until every device is online on MQTT, with its footprint measured there.
 * Needs g++-aarch64-linux-gnu and qemu-user-static (apt); the build is done once per run, in this
 * file's temp dir.
 */

const target = CROSS_TARGETS.arm64;
const emulation = hasEmulator(target);
if (!emulation) {
  process.stderr.write(`\n!!! release-arm64: SKIPPED: ${target.qemu} is missing (apt-get install ${target.debianPackages.join(' ')})\n\n`);
}

const VERSION = '9.9.9-arm64.1';
const STATION = 'arm64-0001';
const S = `stations/${STATION}`;
const DEVICES = ['lock-1', 'scanner-1', 'cabinet-1', 'water-1', 'occupancy-1'];

let dir: ReturnType<typeof tempDir>;
let keys: { privateKeyFile: string; publicKeyFile: string };
let built: CrossBuiltRelease;
let buildMs: number;
let unpacked: string;
const started: Spawned[] = [];

interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

function spawnWatched(command: string, args: string[], cwd: string): Spawned {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const p: Spawned = {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
      child.kill('SIGTERM');
      // Emulated, a clean stop takes seconds; SIGKILL only if it has not gone in 20.
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  started.push(p);
  return p;
}

/** Runs the bundle's arm64 Node.js under qemu-user. */
const runArm64 = (args: string[], cwd: string): Spawned => {
  const node = emulatedNode(target, built.runtime.node);
  return spawnWatched(node.command, [...node.args, ...args], cwd);
};

/** Resident memory of a running process, from the kernel: now and at its peak (kB). */
function memoryOf(pid: number | undefined): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid ?? 0}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** A node process that only idles: what node alone costs under the same runner. */
async function idleNodeMemory(command: string, args: string[]): Promise<{ rssKb: number; hwmKb: number; readyMs: number }> {
  const t0 = Date.now();
  const idle = spawnWatched(command, [...args, '-e', 'console.log("idle"); setInterval(() => {}, 1000)'], dir.path);
  await waitFor(() => idle.output().includes('idle'), 60_000, 'the idle node');
  const readyMs = Date.now() - t0;
  await sleep(2000);
  const m = memoryOf(idle.child.pid);
  await idle.stop();
  return { ...m, readyMs };
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

/**
 * V8's own figures from the gateway's /metrics: measured inside the guest, so qemu is not in them,
 * and they say whether the arm64 gateway holds what the x64 one does.
 */
async function heapOf(metricsPort: number | undefined): Promise<{ usedKb: number; totalKb: number; externalKb: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort ?? 0}/metrics`)).text();
  const kb = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024;
  return { usedKb: kb('nodejs_heap_size_used_bytes'), totalKb: kb('nodejs_heap_size_total_bytes'), externalKb: kb('nodejs_external_memory_bytes') };
}
const heapLine = (h: { usedKb: number; totalKb: number; externalKb: number }): string => `V8 heap ${mb(h.usedKb)} used of ${mb(h.totalKb)}, external ${mb(h.externalKb)}`;

beforeAll(async () => {
  if (!emulation) return;
  dir = tempDir('release-arm64-');
  keys = writeReleaseKey(join(dir.path, 'keys'));
  const t0 = Date.now();
  built = await crossBuildRelease({
    root: packageRoot(),
    arch: 'arm64',
    outDir: join(dir.path, 'out'),
    keyFile: keys.privateKeyFile,
    workDir: join(dir.path, 'work'),
    version: VERSION,
    log: (line) => process.stdout.write(`  cross-build: ${line}\n`),
  });
  buildMs = Date.now() - t0;
  unpacked = join(dir.path, 'unpacked');
  mkdirSync(unpacked);
  const tar = spawnWatched('tar', ['-xzf', built.bundle, '-C', unpacked], dir.path);
  expect(await tar.exited).toEqual({ code: 0, signal: null });
}, 600_000);

afterAll(async () => {
  for (const p of started) await p.stop();
  dir?.remove();
});

describe.skipIf(!emulation)('the linux-arm64 bundle, built here and run under qemu-user', () => {
  it('is named, signed and listed as linux-arm64, and every binary in it is AArch64 ELF', () => {
    expect(built.bundle.endsWith(bundleName(VERSION, 'arm64'))).toBe(true);
    verifyBundleSignature(readFileSync(built.bundle), readFileSync(built.signature, 'utf8'), readReleasePublicKey(keys.publicKeyFile));
    // As an arm64 box on Node.js 20 checks it, and as this x64 one refuses it.
    const manifest = verifyUnpacked(unpacked, { arch: 'arm64', nodeMajor: 20 });
    expect(manifest).toMatchObject({ version: VERSION, platform: 'linux', arch: 'arm64' });
    expect(() => verifyUnpacked(unpacked, { arch: 'x64', nodeMajor: 20 })).toThrow(expect.objectContaining({ code: 'UPDATE_WRONG_ARCH' }));

    const elves = elfFilesUnder(unpacked);
    expect(elves.filter((e) => e.machine !== target.elf.machine || e.bits !== 64)).toEqual([]);
    const loaded = elves.map((e) => e.path);
    for (const n of ['better-sqlite3/build/Release/better_sqlite3.node', '@serialport/bindings-cpp/build/Release/bindings.node']) {
      expect(loaded).toContain(`node_modules/${n}`);
    }
    // One serialport in the tree (package.json overrides): johnny-five's old binding is not shipped.
    expect(loaded.filter((p) => p.startsWith('node_modules/@serialport/bindings/'))).toEqual([]);
    const unpackedBytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
    process.stdout.write(
      `arm64 bundle: ${built.bytes} bytes (${(built.bytes / 1e6).toFixed(1)} MB) packed, ${(unpackedBytes / 1e6).toFixed(1)} MB in ${manifest.files.length} files unpacked; ` +
        `built in ${(buildMs / 1000).toFixed(0)} s (native compiles ${(built.compileMs / 1000).toFixed(0)} s: ${built.natives.map((n) => `${n.pkg} ${(n.ms / 1000).toFixed(0)} s`).join(', ')})\n`,
    );
    expect(statSync(built.bundle).size).toBe(built.bytes);
  });

  it('loads its native modules under emulation: better-sqlite3 writes and reads a file, the serialport binding moves bytes over a pty', async () => {
    const ptys = join(dir.path, 'ptys');
    mkdirSync(ptys);
    const [a, b] = [join(ptys, 'a'), join(ptys, 'b')];
    const socat = spawnWatched('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], dir.path);
    await waitFor(() => {
      try {
        return statSync(a) && statSync(b);
      } catch {
        return false;
      }
    }, 10_000, 'the pty pair');
    const probe = join(dir.path, 'probe.cjs');
    // Run from the bundle's root, so every require resolves in the bundle's own node_modules.
    writeFileSync(
      probe,
      `const { createRequire } = require('node:module');
const r = createRequire(process.cwd() + '/package.json');
const [db, a, b] = process.argv.slice(2);
const Database = r('better-sqlite3');
const store = new Database(db);
store.pragma('journal_mode = WAL');
store.exec('create table t (v text)');
store.prepare('insert into t values (?)').run(process.arch);
const rows = store.prepare('select v from t').all().map((row) => row.v);
store.close();
const { SerialPort } = r('serialport');
(async () => {
  const reader = new SerialPort({ path: b, baudRate: 9600 });
  const writer = new SerialPort({ path: a, baudRate: 9600 });
  await Promise.all([reader, writer].map((p) => new Promise((ok, no) => p.once('open', ok).once('error', no))));
  const got = new Promise((ok) => { let s = ''; reader.on('data', (d) => { s += d; if (s.includes('ping-arm64')) ok(s); }); });
  writer.write('ping-arm64');
  const received = await got;
  await Promise.all([reader, writer].map((p) => new Promise((ok) => p.close(ok))));
  const natives = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
  console.log(JSON.stringify({ arch: process.arch, rows, received, natives }));
})().catch((err) => { console.error(err); process.exit(1); });
`,
    );
    const run = runArm64([probe, join(dir.path, 'probe.db'), a, b], unpacked);
    const exit = await run.exited;
    await socat.stop();
    expect(exit, run.output()).toEqual({ code: 0, signal: null });
    const result = JSON.parse(run.output().trim().split('\n').at(-1) ?? '{}') as { arch: string; rows: string[]; received: string; natives: string[] };
    expect(result.arch).toBe('arm64');
    expect(result.rows).toEqual(['arm64']);
    expect(result.received).toBe('ping-arm64');
    expect(result.natives.sort()).toEqual(
      ['@serialport/bindings-cpp/build/Release/bindings.node', 'better-sqlite3/build/Release/better_sqlite3.node'].map((n) => join(unpacked, 'node_modules', n)).sort(),
    );
  }, 180_000);

  describe('station-gateway run from the bundle under emulation, against the simulators', () => {
    let broker: EmbeddedBroker;
    let station: FullStation;
    let sim: StationSimulator;

    beforeAll(async () => {
      broker = await startEmbeddedBroker({ port: 0 });
      const stationDir = join(dir.path, 'station');
      mkdirSync(stationDir);
      station = await writeFullStation(stationDir, { stationId: STATION, brokerUrl: broker.url, metrics: true });
      sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 19 });
    });

    afterAll(async () => {
      await sim?.stop();
      await broker?.close();
    });

    it('brings every device online, retained, stops cleanly on SIGTERM, and its footprint is measured', async () => {
      const baseline = await idleNodeMemory(emulatedNode(target, built.runtime.node).command, emulatedNode(target, built.runtime.node).args);
      const watcher = await MqttRecorder.connect(broker.url, `${S}/#`);
      try {
        const t0 = Date.now();
        const gateway = runArm64([join(unpacked, 'dist/gateway/cli/station-gateway.js'), 'run', '--config', station.configFile], unpacked);
        await waitFor(() => gateway.output().includes('"msg":"station-gateway ready"') || gateway.child.exitCode !== null, 240_000, 'station-gateway ready under emulation');
        expect(gateway.child.exitCode, gateway.output()).toBeNull();
        const readyMs = Date.now() - t0;
        await watcher.waitFor(`${S}/status`, (m) => m.body['online'] === true, 60_000);
        for (const id of DEVICES) await watcher.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 120_000);
        const onlineMs = Date.now() - t0;
        // Settled: a few polls of every device after the last came online.
        await sleep(5000);
        const gw = memoryOf(gateway.child.pid);
        const gwHeap = await heapOf(station.metricsPort);

        const fresh = await MqttRecorder.connect(broker.url, `${S}/devices/+`);
        try {
          await waitFor(() => DEVICES.every((id) => fresh.on(`${S}/devices/${id}`).some((m) => m.retain && m.body['online'] === true)), 10_000, 'every device online, retained');
        } finally {
          await fresh.close();
        }
        expect(gateway.output()).toContain(unpacked);

        gateway.child.kill('SIGTERM');
        expect(await gateway.exited, gateway.output().slice(-2000)).toEqual({ code: 0, signal: null });

        // The same on this machine's own Node.js and build, for scale: what qemu adds is in both numbers above.
        const nativeBaseline = await idleNodeMemory(process.execPath, []);
        const t1 = Date.now();
        const native = spawnWatched(process.execPath, [distEntry('gateway', 'cli', 'station-gateway.js'), 'run', '--config', station.configFile], packageRoot());
        await waitFor(() => native.output().includes('"msg":"station-gateway ready"'), 60_000, 'station-gateway ready on x64');
        const nativeReadyMs = Date.now() - t1;
        const from = watcher.messages.length;
        for (const id of DEVICES) await watcher.waitFor(`${S}/devices/${id}`, (m) => m.body['online'] === true, 60_000, from);
        const nativeOnlineMs = Date.now() - t1;
        await sleep(5000);
        const x64 = memoryOf(native.child.pid);
        const x64Heap = await heapOf(station.metricsPort);
        await native.stop();

        process.stdout.write(
          [
            'arm64 footprint under qemu-aarch64-static (qemu-user and its translation cache are inside every RSS here):',
            `  idle node -e:         RSS ${mb(baseline.rssKb)} (peak ${mb(baseline.hwmKb)}), up in ${(baseline.readyMs / 1000).toFixed(1)} s`,
            `  station-gateway run:  RSS ${mb(gw.rssKb)} (peak ${mb(gw.hwmKb)}), ready in ${(readyMs / 1000).toFixed(1)} s, all ${DEVICES.length} devices online in ${(onlineMs / 1000).toFixed(1)} s`,
            `  gateway minus idle:   ${mb(gw.rssKb - baseline.rssKb)}; ${heapLine(gwHeap)}`,
            `x64 native, same station: idle node RSS ${mb(nativeBaseline.rssKb)}, gateway RSS ${mb(x64.rssKb)} (peak ${mb(x64.hwmKb)}), ready in ${(nativeReadyMs / 1000).toFixed(1)} s, devices online in ${(nativeOnlineMs / 1000).toFixed(1)} s; minus idle ${mb(x64.rssKb - nativeBaseline.rssKb)}; ${heapLine(x64Heap)}`,
            '',
          ].join('\n'),
        );
        expect(gw.rssKb).toBeGreaterThan(baseline.rssKb);
        expect(gwHeap.usedKb).toBeGreaterThan(0);
      } finally {
        await watcher.close();
      }
    }, 420_000);
  });
});
