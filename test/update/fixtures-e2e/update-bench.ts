import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { updateReportSchema, type UpdateReport } from '../../../cloud-bridge/update-contract.js';
import { readConfigKey, writeConfigKey, type ConfigSigningKey } from '../../../fleet/config/config-keys.js';
import { signReleaseDocument } from '../../../fleet/update/sign-release-document.js';
import { ReleaseLayout } from '../../../gateway/update/launcher/release-layout.js';
import { unpackBundle } from '../../../gateway/update/unpack-bundle.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../../simulators/cloud/token-issuer.js';
import { freePort } from '../../helpers/free-port.js';
import { startHttpsTestServer, type HttpsTestServer } from '../../helpers/https-test-server.js';
import { MqttRecorder, type Recorded } from '../../helpers/mqtt-recorder.js';
import { distEntry, runNode, type RunningProcess } from '../../helpers/processes.js';
import { bundleRef, releaseFixtures, type BuiltBundle, type ReleaseFixtures } from '../../helpers/release-fixtures.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * What the update end-to-end tests share: the real bundles (test/helpers/release-fixtures.ts)
 * served by a real HTTPS server with its own CA, the embedded broker, station-sim with a lock, a
 * scanner and a cabinet, and stations installed in temporary app roots and run by the real
 * launcher (dist/gateway/update/launcher/station-launcher.js) in --supervise mode, as systemd
 * would run it.
 */

export interface UpdateBench {
  dir: string;
  fixtures: ReleaseFixtures;
  server: HttpsTestServer;
  broker: EmbeddedBroker;
  sim: RunningProcess;
  /** station-sim's control API. */
  control: string;
  recorder: MqttRecorder;
  cloud: MqttClient;
  signing: ConfigSigningKey;
  issuer: IssuerKey;
  close(): Promise<void>;
}

/** The station file's devices: station-sim serves the same ones. */
function devices(d: string, cabinetPort: number): string {
  return `resources:
  main-door: { device: lock-1, door: 1, unlockMs: 1000 }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: ${d}/tty/lock-1 }, pollMs: 300 }
  - { id: scanner-1, kind: qr-scanner, transport: { type: serial, path: ${d}/tty/scanner-1 }, pollMs: 1000 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 300 }
`;
}

let cabinetPort = 0;

export async function startUpdateBench(prefix: string): Promise<UpdateBench> {
  const fixtures = await releaseFixtures();
  const dir = tempDir(prefix);
  const d = dir.path;
  const served: Array<() => Promise<void>> = [];
  try {
    const server = await startHttpsTestServer({ root: join(fixtures.dir, 'bundles') });
    served.push(() => server.close());
    const broker = await startEmbeddedBroker({ port: 0 });
    served.push(() => broker.close());
    const signing = await readConfigKey((await writeConfigKey(join(d, 'fleet'), 'fleet-config-1')).privateKeyFile);
    const issuer = await generateIssuerKey('update-issuer');
    writeTrustedKeys(join(d, 'trusted.jwks.json'), [issuer]);
    cabinetPort = await freePort();
    const bench = join(d, 'bench.yaml');
    writeFileSync(bench, `station: { id: bench, timezone: Asia/Shanghai, openHours: "00:00-24:00" }\ncloud: { url: ${broker.url}, protocolVersion: 4 }\nstorage: { path: ${d}/bench.db }\naccess: { trustedKeys: ${d}/trusted.jwks.json, clockTrust: system }\n${devices(d, cabinetPort)}`);
    const controlPort = await freePort();
    const sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', bench, '--control-port', String(controlPort)]);
    served.push(() => sim.stop());
    await sim.waitForOutput('control:', 20_000);
    const recorder = await MqttRecorder.connect(broker.url, 'stations/#');
    served.push(() => recorder.close());
    const cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `${prefix}cloud`, reconnectPeriod: 0 });
    served.push(() => cloud.endAsync(true));
    await cloud.subscribeAsync('cloud/replies/#', { qos: 1 });
    return {
      dir: d,
      fixtures,
      server,
      broker,
      sim,
      control: `http://127.0.0.1:${controlPort}`,
      recorder,
      cloud,
      signing,
      issuer,
      close: async () => {
        for (const stop of served.reverse()) await stop().catch(() => undefined);
        dir.remove();
      },
    };
  } catch (err) {
    for (const stop of served.reverse()) await stop().catch(() => undefined);
    dir.remove();
    throw err;
  }
}

/** A command to station-sim, as a crew's bench tool sends it. */
export async function simCommand(bench: UpdateBench, command: string): Promise<unknown> {
  const res = await fetch(`${bench.control}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) });
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`station-sim refused "${command}": ${JSON.stringify(body)}`);
  return body;
}

export async function simDevice(bench: UpdateBench, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${bench.control}/devices/${id}`)).json()) as Record<string, unknown>;
}

export interface StationOptions {
  id: string;
  gateSeconds?: number;
  bandwidthKiBps?: number;
  /** Boots a trial gets (the launcher's --max-trial-boots); default the launcher's 2. */
  maxTrialBoots?: number;
  /** An app root to take the installed release from (hard links: nothing writes into a release). */
  template?: string;
}

/**
 * One station: its app root with the package's version installed as the install kit does it
 * (releases/<v> unpacked from the bundle, then bootstrap), its station file with `update:`, and
 * the launcher that runs it.
 */
export class InstalledStation {
  readonly root: string;
  readonly layout: ReleaseLayout;
  readonly file: string;
  readonly topic: { desired: string; report: string; status: string; root: string };
  launcher: RunningProcess | undefined;
  /** Every launcher's output so far, for a failure's message. */
  private logs: string[] = [];
  private revision = 0;

  constructor(
    private readonly bench: UpdateBench,
    readonly o: StationOptions,
  ) {
    this.root = join(bench.dir, `app-${o.id}`);
    this.layout = new ReleaseLayout(this.root);
    this.file = join(bench.dir, `${o.id}.yaml`);
    const S = `stations/${o.id}`;
    this.topic = { desired: `${S}/desired/version`, report: `${S}/update`, status: `${S}/status`, root: S };
  }

  install(): void {
    const { fixtures } = this.bench;
    const version = fixtures.current.version;
    mkdirSync(join(this.root, 'releases'), { recursive: true });
    if (this.o.template) execFileSync('cp', ['-al', join(this.o.template, 'releases', version), join(this.root, 'releases', version)]);
    else unpackBundle({ bundle: fixtures.current.file, into: this.layout.releaseDir(version), partial: this.layout.partialDir(version) });
    this.layout.bootstrap(version);
    const d = this.bench.dir;
    const update = [
      `releaseKey: ${fixtures.releaseKeyPublic}`,
      `keys: ${join(d, 'fleet', 'config-keys.jwks.json')}`,
      `ca: ${this.bench.server.pki.caFile}`,
      `gateSeconds: ${this.o.gateSeconds ?? 12}`,
      ...(this.o.bandwidthKiBps !== undefined ? [`bandwidthKiBps: ${this.o.bandwidthKiBps}`] : []),
    ].join(', ');
    writeFileSync(
      this.file,
      `station: { id: ${this.o.id}, timezone: Asia/Shanghai, openHours: "00:00-24:00" }
cloud: { url: ${this.bench.broker.url}, protocolVersion: 4, heartbeatSeconds: 60 }
storage: { path: ${this.root}/data/gateway.db }
access: { trustedKeys: ${d}/trusted.jwks.json, clockTrust: system, scansPerMinute: 600 }
${devices(d, cabinetPort)}update: { ${update} }
`,
    );
  }

  /** The launcher as the systemd unit starts it (--supervise does the unit's Restart=). */
  start(): RunningProcess {
    const args = ['--root', this.root, '--supervise', '--restart-delay-ms', '500', ...(this.o.maxTrialBoots ? ['--max-trial-boots', String(this.o.maxTrialBoots)] : []), '--', 'run', '--config', this.file];
    const launcher = runNode(distEntry('gateway', 'update', 'launcher', 'station-launcher.js'), args);
    this.launcher = launcher;
    this.logs.push('');
    const index = this.logs.length - 1;
    launcher.child.stdout?.on('data', (b: Buffer) => (this.logs[index] += b.toString('utf8')));
    launcher.child.stderr?.on('data', (b: Buffer) => (this.logs[index] += b.toString('utf8')));
    return launcher;
  }

  /** SIGTERM to the launcher, which stops the gateway first. */
  async stop(): Promise<void> {
    await this.launcher?.stop();
    this.launcher = undefined;
  }

  /** The gateway the launcher runs now (its one child), if any. */
  gatewayPid(): number | undefined {
    const pid = this.launcher?.child.pid;
    if (pid === undefined || this.launcher?.child.exitCode !== null) return undefined;
    try {
      const out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim();
      const first = out.split('\n')[0];
      return first ? Number(first) : undefined;
    } catch {
      return undefined; // between two children
    }
  }

  /** kill -9 of the launcher's child: the launcher sees it die and starts the gateway again. */
  async killGateway(): Promise<number> {
    // The gateway found may end on its own before the signal (it exits to switch releases, and the
    // launcher starts the next): then the next one is the gateway of this step (ESRCH seen in CI).
    for (let attempt = 1; ; attempt++) {
      const pid = await waitFor(() => this.gatewayPid(), 10_000, 'the gateway process');
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH' && attempt < 3) continue;
        throw err;
      }
      await waitFor(() => !alive(pid), 5_000, `process ${pid} to die`);
      return pid;
    }
  }

  /**
   * kill -9 of the launcher and of its child, as a power cut or systemd's kill of the unit's
   * control group leaves them; the test starts the launcher again, as systemd would.
   */
  async killAll(): Promise<void> {
    // Frozen first, so that it cannot start another child between the read of its child and its
    // own death: a child started in that moment outlived the test once (found an hour later).
    const launcherPid = this.launcher?.child.pid;
    if (launcherPid !== undefined && alive(launcherPid)) process.kill(launcherPid, 'SIGSTOP');
    const child = this.gatewayPid();
    await this.launcher?.kill();
    if (child !== undefined && alive(child)) process.kill(child, 'SIGKILL');
    if (child !== undefined) await waitFor(() => !alive(child), 5_000, `process ${child} to die`);
    this.launcher = undefined;
  }

  /** The launcher's events and the gateway's start and stop lines from `since` (ms epoch) on, one a line with its time. */
  timeline(since = 0): string[] {
    const wanted = /"event"|station-gateway ready|stopping to restart|cloud connected|station running|device online|switched to the new version|health gate|committed/;
    return this.logs
      .join('\n')
      .split('\n')
      .filter((l) => wanted.test(l))
      .map((l) => {
        try {
          const o = JSON.parse(l) as Record<string, unknown>;
          const at = typeof o['time'] === 'number' ? o['time'] : Date.parse(String(o['time']));
          return { at, text: `${new Date(at).toISOString().slice(11, 23)} ${String(o['pid'] ?? o['component'] ?? '')} ${String(o['event'] ?? o['msg'] ?? '')} ${String(o['version'] ?? o['device'] ?? '')}` };
        } catch {
          return { at: 0, text: '' };
        }
      })
      .filter((x) => x.at >= since && x.text !== '')
      .map((x) => x.text);
  }

  output(): string {
    return this.logs.join('\n----- launcher started again -----\n').slice(-6000);
  }

  /** A signed document for `bundle`'s version, published retained on S/desired/version; returns its revision. */
  async publish(bundle: BuiltBundle, revision = ++this.revision): Promise<number> {
    this.revision = Math.max(this.revision, revision);
    const name = bundle.file.slice(bundle.file.lastIndexOf('/') + 1);
    const document = await signReleaseDocument(this.bench.signing, {
      station: this.o.id,
      revision,
      version: bundle.version,
      bundles: { [this.bench.fixtures.arch]: bundleRef(bundle, this.bench.server.url(`/${name}`)) },
      rollout: 'e2e',
    });
    await this.bench.cloud.publishAsync(this.topic.desired, JSON.stringify({ document }), { qos: 1, retain: true });
    return revision;
  }

  /** The next S/update report from `from` on that matches. */
  async report(match: (r: UpdateReport) => boolean, timeoutMs: number, from = 0): Promise<Recorded & { report: UpdateReport; index: number }> {
    try {
      const m = await this.bench.recorder.waitFor(this.topic.report, (m) => match(updateReportSchema.parse(m.body)), timeoutMs, from);
      return { ...m, report: updateReportSchema.parse(m.body), index: this.bench.recorder.messages.indexOf(m) };
    } catch (err) {
      throw new Error(`${(err as Error).message}\nreports: ${this.reports(from).map((r) => `${r.state}/${r.running}/${r.version}${r.code ? `/${r.code}` : ''}`).join(' ')}\n${this.output()}`);
    }
  }

  /** Every S/update report from `from` on, parsed by the contract's schema (a report that does not parse throws). */
  reports(from = 0): UpdateReport[] {
    return this.bench.recorder.messages
      .slice(from)
      .filter((m) => m.topic === this.topic.report)
      .map((m) => updateReportSchema.parse(m.body));
  }

  /**
   * The station up from `from` on: a birth on S/status (of `version` when given) and each of its
   * devices online on S/devices/<id>.
   */
  async online(from: number, version?: string, timeoutMs = 30_000): Promise<void> {
    const { recorder } = this.bench;
    try {
      const birth = await recorder.waitFor(this.topic.status, (m) => m.body['online'] === true && (version === undefined || m.body['version'] === version), timeoutMs, from);
      const after = recorder.messages.indexOf(birth);
      for (const id of ['lock-1', 'scanner-1', 'cabinet-1']) await recorder.waitFor(`${this.topic.root}/devices/${id}`, (m) => m.body['online'] === true, timeoutMs, after);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.output()}`);
    }
  }

  /** Where the last report in `state` from `from` on is in the recording (-1: none). */
  lastReportAt(state: UpdateReport['state'], from = 0): number {
    const all = this.bench.recorder.messages;
    for (let i = all.length - 1; i >= from; i--) if (all[i]?.topic === this.topic.report && all[i]?.body['state'] === state) return i;
    return -1;
  }

  /** What a late subscriber reads retained on S/update now. */
  async retainedReport(): Promise<UpdateReport> {
    const late = await MqttRecorder.connect(this.bench.broker.url, this.topic.report);
    try {
      // A live report may come first: the retained one is the one flagged so.
      const m = await late.waitFor(this.topic.report, (x) => x.retain, 5_000);
      return updateReportSchema.parse(m.body);
    } finally {
      await late.close();
    }
  }

  /** Bytes of the bundle's .part (or whole file) in the downloads now. */
  downloaded(): number {
    const dir = this.layout.downloadsDir();
    if (!existsSync(dir)) return 0;
    return readdirSync(dir)
      .filter((f) => f.endsWith('.tar.gz') || f.endsWith('.tar.gz.part'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  }

  /** The partial folders of `version` in releases/ now (an unpack at work, or one a kill left). */
  partials(version: string): string[] {
    const dir = this.layout.releasesDir();
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.startsWith(`.${version}.`) && f.endsWith('.partial'));
  }

  state(): ReturnType<ReleaseLayout['readState']> {
    return this.layout.readState();
  }

  launcherEvents(): Array<Record<string, unknown>> {
    return this.logs
      .join('\n')
      .split('\n')
      .filter((l) => l.includes('"event"'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  readFile(rel: string): string {
    return readFileSync(join(this.root, rel), 'utf8');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
