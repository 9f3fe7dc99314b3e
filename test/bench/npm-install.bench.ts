import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';
import { reportBench } from './bench-report.js';

/*
 * `npm ci` of the project's tree on a fresh checkout, against the tree before the serialport
 * change (fixtures/install-before: d8713a1's package.json and lockfile, where johnny-five pulled
 * in its own `@serialport/bindings@8` beside serialport 13), in the same run, in fresh folders,
 * with npm's cache warm (each tree is installed once, unmeasured, first).
 *
 * Two conditions, because a native module installs one of two ways:
 * - prebuilt binaries reachable: a box that reaches better-sqlite3's release host (GitHub, or a
 *   mirror set with `npm_config_better_sqlite3_binary_host`) downloads its binary instead of
 *   compiling. This machine reaches no such host, so the bench is that host: it serves the binary
 *   this checkout built, packed as prebuild-install names and unpacks it, on 127.0.0.1.
 *   `@serialport/bindings@8` has no prebuilt binary for this Node's ABI anywhere (it predates
 *   Node 20), so it compiles here as on any box (it asks this host for nothing; anything the host
 *   is asked for and does not have is answered 404 and printed);
 * - no prebuilt binary (`npm_config_build_from_source`): every native module compiles, as on a
 *   machine that reaches no binary host.
 *
 * `NPM_CI_BENCH_COMPILE=0` leaves the second condition out (about four minutes of both cores).
 */

const COMPILE = process.env['NPM_CI_BENCH_COMPILE'] !== '0';
const BEFORE_TREE = join(packageRoot(), 'test', 'bench', 'fixtures', 'install-before');

interface BinaryHost {
  url: string;
  served: number;
  refused: string[];
  close(): Promise<void>;
}

/** The prebuilt better-sqlite3 binary of this checkout, as prebuild-install asks for it. */
function packPrebuilt(into: string): { urlPath: string; file: string } {
  const pkgDir = join(packageRoot(), 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const file = join(into, name);
  const tar = spawnSync('tar', ['-czf', file, '-C', pkgDir, 'build/Release/better_sqlite3.node'], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  return { urlPath: `/v${version}/${name}`, file };
}

async function startBinaryHost(prebuilt: { urlPath: string; file: string }): Promise<BinaryHost> {
  const body = readFileSync(prebuilt.file);
  const host = { served: 0, refused: [] as string[] };
  const server: Server = createServer((req, res) => {
    if (req.url === prebuilt.urlPath) {
      host.served++;
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      res.end(body);
      return;
    }
    host.refused.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(host, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** `scripts-off`: `--ignore-scripts`, nothing built or downloaded: npm's own work, the floor of an install of the tree. */
type Condition = 'prebuilt' | 'compile' | 'scripts-off';

/**
 * Where prebuild-install keeps what it downloaded, by URL: each install gets a host of its own
 * (a new port, so a new URL), so none is served from an earlier one's download, and the entry is
 * removed after it.
 */
function prebuildCacheEntry(url: string): string {
  const cache = process.env['npm_config_cache'] ?? join(homedir(), '.npm');
  const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
  return join(cache, '_prebuilds', `${digest}-${basename(url).replace(/[^a-zA-Z0-9.]+/g, '-')}`);
}

/** `npm ci` of a tree in a fresh folder; seconds, requests the binary host served, and the folder for the checks after. */
async function npmCi(tree: string, condition: Condition): Promise<{ seconds: number; served: number; refused: string[]; dir: ReturnType<typeof tempDir> }> {
  const host = await startBinaryHost(prebuilt);
  try {
    const result = await npmCiWith(tree, condition, host);
    return { ...result, served: host.served, refused: host.refused };
  } finally {
    await host.close();
    rmSync(prebuildCacheEntry(`${host.url}${prebuilt.urlPath}`), { force: true });
  }
}

async function npmCiWith(tree: string, condition: Condition, host: BinaryHost): Promise<{ seconds: number; dir: ReturnType<typeof tempDir> }> {
  const dir = tempDir('bench-npm-ci-');
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(tree, f), join(dir.path, f));
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_better_sqlite3_binary_host: host.url, npm_config_serialport_bindings_binary_host: host.url };
  // vitest's own variables and flags are not the install's.
  delete env['NODE_OPTIONS'];
  if (condition === 'compile') env['npm_config_build_from_source'] = 'true';
  const started = performance.now();
  const args = ['ci', '--no-audit', '--no-fund', '--prefer-offline', ...(condition === 'scripts-off' ? ['--ignore-scripts'] : [])];
  const child = spawn('npm', args, { cwd: dir.path, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    dir.remove();
    throw new Error(`npm ci of ${tree} (${condition}) exited ${code}:\n${out.slice(-3000)}`);
  }
  return { seconds, dir };
}

/** The install works: better-sqlite3 opens a database from the fresh tree. */
function checkLoads(dir: string): void {
  const r = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').prepare('select 1 as one').get()"], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`better-sqlite3 does not load from ${dir}: ${r.stderr}`);
}

/** Whether better-sqlite3 was compiled here (node-gyp leaves its objects) or unpacked. */
const compiledSqlite = (dir: string): boolean => existsSync(join(dir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'obj.target'));

/** Copies of a serialport native binding anywhere in the tree. */
function serialportBindings(dir: string): string[] {
  const found: string[] = [];
  const walk = (modules: string): void => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      const path = join(modules, entry);
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(path)) visit(join(path, scoped), `${entry}/${scoped}`);
      } else visit(path, entry);
    }
  };
  const visit = (path: string, name: string): void => {
    if (!statSync(path).isDirectory()) return;
    if (name === '@serialport/bindings' || name === '@serialport/bindings-cpp') {
      const { version } = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string };
      found.push(`${name}@${version}`);
    }
    walk(join(path, 'node_modules'));
  };
  walk(join(dir, 'node_modules'));
  return found;
}

let work: ReturnType<typeof tempDir>;
let prebuilt: { urlPath: string; file: string };

beforeAll(() => {
  work = tempDir('bench-npm-ci-host-');
  prebuilt = packPrebuilt(work.path);
});

afterAll(() => {
  work?.remove();
});

describe('npm ci on a fresh tree, npm cache warm', () => {
  bench(
    'the project tree vs the tree before one serialport',
    async () => {
      const now = packageRoot();
      // Unmeasured: fills npm's cache with both trees' packages.
      for (const tree of [BEFORE_TREE, now]) (await npmCi(tree, 'prebuilt')).dir.remove();

      const refused = new Set<string>();
      const measure = async (tree: string, condition: Condition): Promise<{ seconds: number; bindings: string[] }> => {
        const { seconds, served, refused: asked, dir } = await npmCi(tree, condition);
        try {
          for (const r of asked) refused.add(r);
          if (condition === 'scripts-off') return { seconds, bindings: serialportBindings(dir.path) };
          checkLoads(dir.path);
          const compiled = compiledSqlite(dir.path);
          if (condition === 'prebuilt' && (compiled || served === 0)) throw new Error('better-sqlite3 was compiled, not downloaded: the binary host was not asked');
          if (condition === 'compile' && !compiled) throw new Error('better-sqlite3 was not compiled');
          return { seconds, bindings: serialportBindings(dir.path) };
        } finally {
          dir.remove();
        }
      };

      const row = { bench: 'npm ci, fresh tree (npm cache warm)', baselineName: 'tree before one serialport (d8713a1)', higherIsBetter: false };
      const prebuiltNow = await measure(now, 'prebuilt');
      const prebuiltBefore = await measure(BEFORE_TREE, 'prebuilt');
      console.log(`prebuilt reachable: now ${prebuiltNow.seconds.toFixed(1)} s (${prebuiltNow.bindings.join(', ')}), before ${prebuiltBefore.seconds.toFixed(1)} s (${prebuiltBefore.bindings.join(', ')}); the host refused ${[...refused].join(', ') || 'nothing'}`);
      reportBench({ ...row, figure: 'install, prebuilt binaries reachable', unit: 's', gateway: prebuiltNow.seconds, baseline: prebuiltBefore.seconds });
      reportBench({ ...row, figure: 'serialport native bindings in the tree', unit: 'copies', gateway: prebuiltNow.bindings.length, baseline: prebuiltBefore.bindings.length });
      const floor = await measure(now, 'scripts-off');
      console.log(`the same tree without install scripts: ${floor.seconds.toFixed(1)} s`);
      reportBench({ ...row, figure: 'install, prebuilt binaries reachable', unit: 's', gateway: prebuiltNow.seconds, baselineName: "the same tree with --ignore-scripts (npm's own work)", baseline: floor.seconds });
      if (COMPILE) {
        const compileNow = await measure(now, 'compile');
        const compileBefore = await measure(BEFORE_TREE, 'compile');
        console.log(`built from source: now ${compileNow.seconds.toFixed(1)} s, before ${compileBefore.seconds.toFixed(1)} s`);
        reportBench({ ...row, figure: 'install, every native module built from source', unit: 's', gateway: compileNow.seconds, baseline: compileBefore.seconds });
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
