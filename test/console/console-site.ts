import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../../config/package-root.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { freePort } from '../helpers/free-port.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';

/** Set by the global setup (test/global-setup.ts): the console it built once for this run. */
export const BUILT_CONSOLE_ENV = 'STATION_TEST_CONSOLE';

/**
 * The console built by Vite into `outDir` (not dist/console, which a concurrent `npm run build`
 * may be rewriting), as `npm run build` builds it. In a test run the global setup has built it once
 * and this copies that build: nine browser files each running Vite cost three minutes of two cores.
 */
export function buildConsole(outDir: string): void {
  const built = process.env[BUILT_CONSOLE_ENV];
  if (built && existsSync(join(built, 'index.html'))) {
    rmSync(outDir, { recursive: true, force: true });
    cpSync(built, outDir, { recursive: true });
    return;
  }
  viteBuild(outDir);
}

/** Runs Vite's build of the console into `outDir`. */
export function viteBuild(outDir: string): void {
  const root = packageRoot();
  execFileSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', join(root, 'console', 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * config/demo-station.yaml with its simulator ports made free and its files put in `dir`, so the
 * demo station can run beside `npm start` and the other tests. Without its `access` section: the
 * console needs no access logic, and the demo's key is made by `npm start` on its first run.
 */
export async function demoStationCopy(dir: string): Promise<string> {
  const doc = parse(readFileSync(join(packageRoot(), 'config', 'demo-station.yaml'), 'utf8')) as {
    storage: { path: string };
    access?: unknown;
    devices: Array<{ transport: { port?: number; path?: string } }>;
  };
  delete doc.access;
  doc.storage.path = join(dir, 'gateway.db');
  const ports = new Map<number, number>();
  for (const d of doc.devices) {
    const t = d.transport;
    if (t.port !== undefined) {
      const port = ports.get(t.port) ?? (await freePort());
      ports.set(t.port, port);
      t.port = port;
    }
    if (t.path !== undefined) t.path = join(dir, 'tty', basename(t.path));
  }
  const file = join(dir, 'demo-station.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** A console URL with `?lang=` set, so that a test reads the words it asserts whatever the browser's locale. */
export function inLanguage(lang: 'zh-CN' | 'en', url: string): string {
  const u = new URL(url);
  u.searchParams.set('lang', lang);
  return u.toString();
}

/** The demo station's pieces for the operator tests: its simulators and its gateway, with access. */
export interface OperatorStation {
  stationId: string;
  stationFile: string;
  /** station-sim's control API, `http://127.0.0.1:<port>`. */
  control: string;
  /** The usage log (access.granted events carry an unlock's reason). */
  dbFile: string;
  /** The fleet key the station trusts: what `issuePass` in simulators/cloud/pass-issuer.ts signs with. */
  issuer: IssuerKey;
  stop(): Promise<void>;
}

/**
 * The demo station WITH its access section (unlike `demoStationCopy`): its trusted keys are a file
 * in `dir` holding one key made here, returned as `issuer`, so a test issues operator passes the
 * station accepts. Simulators and gateway run as their own processes on `brokerUrl`; resolves once
 * the gateway reads its lock (a remote unlock before that would be DEVICE_OFFLINE).
 */
export async function startOperatorStation(dir: string, brokerUrl: string, options: { kid?: string; seed?: number } = {}): Promise<OperatorStation> {
  const stationFile = await demoStationCopy(dir);
  const issuer = await generateIssuerKey(options.kid ?? 'console-operator-1');
  const trustedKeys = join(dir, 'trusted-keys.jwks.json');
  writeTrustedKeys(trustedKeys, [issuer]);
  const doc = parse(readFileSync(stationFile, 'utf8')) as { station: { id: string }; access?: Record<string, unknown> };
  const demo = parse(readFileSync(join(packageRoot(), 'config', 'demo-station.yaml'), 'utf8')) as { access: Record<string, unknown> };
  doc.access = { ...demo.access, trustedKeys };
  writeFileSync(stationFile, stringify(doc));
  const sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', stationFile, '--seed', String(options.seed ?? 1)]);
  let gateway: RunningProcess | undefined;
  try {
    await sim.waitForOutput('ready', 20_000);
    const control = /control: (http:\/\/\S+)/.exec(sim.output())?.[1] ?? '';
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', stationFile, '--cloud-url', brokerUrl]);
    await gateway.waitForOutput('station-gateway ready', 20_000);
    await gateway.waitForOutput(/"device":"lock-1".*"msg":"device online"/, 20_000);
    const running = gateway;
    return {
      stationId: doc.station.id,
      stationFile,
      control,
      dbFile: join(dir, 'gateway.db'),
      issuer,
      async stop() {
        await running.kill();
        await sim.stop();
      },
    };
  } catch (err) {
    await gateway?.kill();
    await sim.stop();
    throw err;
  }
}
