import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RELEASE_ENTRY } from '../../../gateway/update/launcher/release-layout.js';
import { distEntry } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * What a fake release's gateway does when the launcher starts it:
 * - run: prints its line and stays up until SIGTERM (exit 0);
 * - commit: commits its trial through the real compiled ReleaseLayout (dist/), then runs;
 * - crash: exits 1 at once; refuse: exits 2 at once (a station file it cannot run);
 * - hang: stays up and never commits; hang-deaf: the same, and ignores SIGTERM;
 * - switch: on its first start puts `switchTo` on trial (as the update agent does) and exits 75,
 *   then runs;
 * - exit75: exits 75 without switching anything (a gateway's mistake).
 */
export type FakeBehaviour = 'run' | 'commit' | 'crash' | 'refuse' | 'hang' | 'hang-deaf' | 'switch' | 'exit75';

/** Every start of a fake gateway, one line each: `<version> <pid>`, in the app root. */
export const BOOTS_FILE = 'boots.log';

/** A release folder as an unpack leaves it: the gateway's entry point and a manifest. */
export function makeRelease(root: string, version: string, behaviour: FakeBehaviour, o: { switchTo?: string; trialSeconds?: number } = {}): string {
  const dir = join(root, 'releases', version);
  mkdirSync(join(dir, 'dist', 'gateway', 'cli'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'release-manifest.json'), `${JSON.stringify({ name: 'station-gateway', version })}\n`);
  writeFileSync(join(dir, RELEASE_ENTRY), fakeGateway(version, behaviour, o));
  return dir;
}

function fakeGateway(version: string, behaviour: FakeBehaviour, o: { switchTo?: string; trialSeconds?: number }): string {
  const layoutModule = pathToFileURL(distEntry('gateway', 'update', 'launcher', 'release-layout.js')).href;
  return `import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReleaseLayout } from ${JSON.stringify(layoutModule)};
const version = ${JSON.stringify(version)};
const behaviour = ${JSON.stringify(behaviour)};
const root = process.env.STATION_RELEASE_ROOT;
appendFileSync(join(root, ${JSON.stringify(BOOTS_FILE)}), version + ' ' + process.pid + '\\n');
const say = (what) => process.stdout.write('fake-gateway ' + version + ' ' + what + ' pid=' + process.pid + '\\n');
say('started ' + JSON.stringify({ args: process.argv.slice(2), nodeFlags: process.execArgv, root, releaseVersion: process.env.STATION_RELEASE_VERSION, watchdogPid: process.env.WATCHDOG_PID ?? null }));
if (behaviour === 'crash') process.exit(1);
if (behaviour === 'refuse') process.exit(2);
if (behaviour === 'exit75') process.exit(75);
const layout = new ReleaseLayout(root);
if (behaviour === 'switch') {
  const flag = join(root, 'switched-' + version);
  if (!existsSync(flag)) {
    writeFileSync(flag, '');
    layout.beginTrial({ version: ${JSON.stringify(o.switchTo ?? '')}, trialSeconds: ${o.trialSeconds ?? 30}, now: Date.now() });
    say('switched');
    process.exit(75);
  }
}
if (behaviour === 'commit') {
  const state = layout.readState();
  if (state && state.trial && state.trial.version === version) {
    layout.commitTrial(Date.now());
    say('committed');
  }
}
process.on('SIGHUP', () => say('reload'));
process.on('SIGTERM', () => {
  if (behaviour === 'hang-deaf') return say('ignores SIGTERM');
  say('stopping');
  process.exit(0);
});
say('running');
setInterval(() => undefined, 1 << 30);
`;
}

/** The starts recorded in the app root, oldest first. */
export function boots(root: string): { version: string; pid: number }[] {
  let text = '';
  try {
    text = readFileSync(join(root, BOOTS_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [version = '', pid = '0'] = l.split(' ');
      return { version, pid: Number(pid) };
    });
}

export const launcherEntry = (): string => distEntry('gateway', 'update', 'launcher', 'station-launcher.js');

export interface LauncherRun {
  child: ChildProcess;
  output(): string;
  /** The launcher's JSON log lines (its stderr), parsed. */
  events(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; nothing when it has exited. */
  stop(): Promise<void>;
}

/**
 * The compiled launcher as a process, with an environment of the test's choosing (the WATCHDOG_PID
 * systemd would give it); test/helpers/processes.ts's runNode inherits the test's environment.
 */
export function runLauncher(args: string[], env: NodeJS.ProcessEnv = {}, entry = launcherEntry(), nodeFlags: string[] = []): LauncherRun {
  const child = spawn(process.execPath, [...nodeFlags, entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    out += d.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => out,
    events: () =>
      err
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
    waitForOutput: async (text, timeoutMs = 20_000) => {
      await waitFor(() => (typeof text === 'string' ? out.includes(text) : text.test(out)), timeoutMs, `output ${String(text)}\n--- output so far:\n${out}`);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return void (await exited);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A pid that a test's process tree started is gone (or made gone: SIGKILL) before the folder is removed. */
export async function killIfAlive(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !alive(pid), 5000, `pid ${pid} to exit`);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
