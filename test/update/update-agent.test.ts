import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../config/clock.js';
import { bundleName, releaseArchOf, type ReleaseArch } from '../../config/release-manifest.js';
import { loadTrustedKeys, type TrustedKeys } from '../../config/trusted-keys.js';
import { updateReportSchema, type BundleRef, type UpdateReport } from '../../cloud-bridge/update-contract.js';
import { readConfigKey, writeConfigKey, type ConfigSigningKey } from '../../fleet/config/config-keys.js';
import { packRelease, type BuiltRelease } from '../../fleet/release/build-release.js';
import { publicKeyOf, readReleasePrivateKey, writeReleaseKey } from '../../fleet/release/release-key.js';
import { signReleaseDocument } from '../../fleet/update/sign-release-document.js';
import { HealthGate } from '../../gateway/remote-config/health-gate.js';
import { AcceptedDocument } from '../../gateway/update/accepted-document.js';
import { ReleaseLayout, RELEASE_ENTRY } from '../../gateway/update/launcher/release-layout.js';
import { workerDiskWork } from '../../gateway/update/disk-work.js';
import { selfCheckRelease } from '../../gateway/update/self-check.js';
import { UpdateAgent } from '../../gateway/update/update-agent.js';
import { startHttpsTestServer, type HttpsTestServer } from '../helpers/https-test-server.js';
import { distEntry } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * The update agent's decisions in one process, on real files: a release layout in a temporary
 * app root, documents signed by a real configuration key, small real bundles packed and signed
 * as the release command packs them, served by a real HTTPS server with its own CA, and the
 * unpacked version's own self-check run as a process.
 */

const STATION = 'ua-test-1';
const arch = releaseArchOf() as ReleaseArch;
const nodeMajor = Number(process.versions.node.split('.')[0]);

let dir: ReturnType<typeof tempDir>;
let server: HttpsTestServer;
let signing: ConfigSigningKey;
let stranger: ConfigSigningKey;
let keys: TrustedKeys;
let releaseKey: ReturnType<typeof publicKeyOf>;
let stationFile: string;
let good: BuiltRelease;
let otherArch: BuiltRelease;
let roots = 0;

/**
 * A release tree whose gateway knows `validate` (the self-check) and nothing else, with a quarter
 * MiB that does not compress, so a capped download takes a few seconds.
 */
function stage(version: string): string {
  const at = join(dir.path, `stage-${version}-${randomBytes(3).toString('hex')}`);
  mkdirSync(join(at, 'dist', 'gateway', 'cli'), { recursive: true });
  writeFileSync(join(at, 'package.json'), `${JSON.stringify({ name: 'station-gateway', type: 'module', version })}\n`);
  writeFileSync(
    join(at, RELEASE_ENTRY),
    `const [command, , file] = process.argv.slice(2);
if (command !== 'validate') process.exit(1);
process.stdout.write(file + ': ok (release ${version})\\n');
`,
  );
  writeFileSync(join(at, 'padding.bin'), randomBytes(256 * 1024));
  return at;
}

function ref(b: BuiltRelease, change: Partial<BundleRef> = {}): BundleRef {
  const data = readFileSync(b.bundle);
  return {
    url: server.url(`/${b.bundle.slice(b.bundle.lastIndexOf('/') + 1)}`),
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    signature: readFileSync(b.signature, 'utf8').trim(),
    unpackedBytes: b.manifest.files.reduce((n, f) => n + f.size, 0),
    ...change,
  };
}

async function desired(o: { revision: number; version?: string; bundles?: Partial<Record<ReleaseArch, BundleRef>>; key?: ConfigSigningKey; station?: string }): Promise<Buffer> {
  const document = await signReleaseDocument(o.key ?? signing, {
    station: o.station ?? STATION,
    revision: o.revision,
    version: o.version ?? '0.1.1',
    bundles: o.bundles ?? { [arch]: ref(good) },
    rollout: 'unit',
  });
  return Buffer.from(JSON.stringify({ document }));
}

/** An app root as the install kit leaves it: release 0.1.0 committed, `current` at it. */
function appRoot(): ReleaseLayout {
  const root = join(dir.path, `app-${++roots}`);
  const entry = join(root, 'releases', '0.1.0', RELEASE_ENTRY);
  mkdirSync(join(entry, '..'), { recursive: true });
  writeFileSync(entry, 'process.exit(0);\n');
  const layout = new ReleaseLayout(root);
  layout.bootstrap('0.1.0');
  return layout;
}

interface Station {
  agent: UpdateAgent;
  reports: UpdateReport[];
  restarts: string[];
  gates: HealthGate[];
  sessions: string[];
  online: string[];
}

function station(layout: ReleaseLayout, o: { running?: string; bytesPerSecond?: number; gateSeconds?: number } = {}): Station {
  const s: Station = { agent: undefined as unknown as UpdateAgent, reports: [], restarts: [], gates: [], sessions: [], online: ['lock-1', 'cabinet-1'] };
  s.agent = new UpdateAgent({
    stationId: STATION,
    layout,
    keys,
    releaseKey,
    arch,
    nodeMajor,
    running: o.running ?? '0.1.0',
    clock: systemClock,
    download: { ca: server.caPem, maxBytes: 8 * 1024 * 1024, bytesPerSecond: o.bytesPerSecond, attempts: 2, retryDelayMs: 50, stallMs: 3000 },
    gateSeconds: 10,
    publish: (r) => s.reports.push(updateReportSchema.parse(r)),
    activeSessions: () => [...s.sessions],
    onlineDevices: () => [...s.online],
    selfCheck: (releaseDir) => selfCheckRelease(releaseDir, stationFile),
    openGate: (expectOnline) => {
      const gate = new HealthGate({ clock: systemClock, gateSeconds: o.gateSeconds ?? 10, expectOnline, probeStore: async () => undefined });
      s.gates.push(gate);
      return gate;
    },
    requestRestart: (reason) => s.restarts.push(reason),
    // The worker thread runs the compiled module, as on a box (global-setup builds dist/).
    diskWork: workerDiskWork(pathToFileURL(distEntry('gateway', 'update', 'disk-worker.js'))),
    log: pino({ level: 'silent' }),
  });
  return s;
}

const last = (s: Station): UpdateReport | undefined => s.reports.at(-1);
/** The states reported, a run of the same one (download progress) as one. */
const states = (s: Station): string[] => s.reports.map((r) => r.state).filter((st, i, all) => i === 0 || all[i - 1] !== st || st !== 'downloading');

beforeAll(async () => {
  dir = tempDir('update-agent-');
  const served = join(dir.path, 'served');
  mkdirSync(served);
  signing = await readConfigKey((await writeConfigKey(join(dir.path, 'fleet'), 'fleet-config-1')).privateKeyFile);
  // Another key under the same name: a forger who knows the kid.
  stranger = await readConfigKey((await writeConfigKey(join(dir.path, 'stranger'), 'fleet-config-1')).privateKeyFile);
  keys = await loadTrustedKeys(join(dir.path, 'fleet', 'config-keys.jwks.json'));
  const releaseKeys = writeReleaseKey(join(dir.path, 'release-key'));
  const privateKey = readReleasePrivateKey(releaseKeys.privateKeyFile);
  releaseKey = publicKeyOf(privateKey);
  good = packRelease({ stage: stage('0.1.1'), outDir: served, key: privateKey, version: '0.1.1', arch, node: [nodeMajor] });
  const foreign: ReleaseArch = arch === 'arm64' ? 'x64' : 'arm64';
  otherArch = packRelease({ stage: stage('0.1.1'), outDir: served, key: privateKey, version: '0.1.1', arch: foreign, node: [nodeMajor] });
  stationFile = join(dir.path, 'station.yaml');
  writeFileSync(stationFile, '# read by the fake release\'s validate only\n');
  server = await startHttpsTestServer({ root: served });
}, 60_000);

afterAll(async () => {
  await server?.close();
  dir?.remove();
});

describe('refusals: each with its code in a rejected report, the station left on its version', () => {
  const refused = async (payload: () => Promise<Buffer>, code: string, prepare?: (layout: ReleaseLayout) => Promise<void>, serve?: (s: HttpsTestServer) => void): Promise<{ s: Station; layout: ReleaseLayout }> => {
    const layout = appRoot();
    const s = station(layout);
    await s.agent.resumeAtStart();
    await prepare?.(layout);
    server.reset();
    serve?.(server);
    try {
      await s.agent.handleDesired(await payload());
    } finally {
      server.reset();
    }
    expect(last(s)).toMatchObject({ state: 'rejected', code, running: '0.1.0' });
    expect(last(s)?.problems.length).toBeGreaterThan(0);
    expect(s.restarts).toEqual([]);
    const state = layout.readState();
    expect(state?.trial).toBeUndefined();
    expect(state?.committed).toBe('0.1.0');
    expect(layout.currentVersion()).toBe('0.1.0');
    expect(layout.hasRelease('0.1.1')).toBe(false);
    return { s, layout };
  };

  it('a document signed by a key that is not the fleet\'s', async () => {
    await refused(() => desired({ revision: 1, key: stranger }), 'UPDATE_BAD_DOCUMENT_SIGNATURE');
    // Nothing was fetched for a document that did not verify.
    expect(server.requests).toEqual([]);
  });

  it('a document for another station', async () => {
    const { s } = await refused(() => desired({ revision: 1, station: 'ua-test-2' }), 'UPDATE_WRONG_STATION');
    expect(last(s)).toMatchObject({ revision: 1, version: '0.1.1', rollout: 'unit' });
  });

  it('an older revision replayed after a newer one was taken', async () => {
    const { s } = await refused(() => desired({ revision: 4 }), 'UPDATE_REVISION_NOT_NEWER', async (layout) => {
      // Revision 5 asks for the version that runs: taken, nothing to install.
      const taken = station(layout);
      await taken.agent.resumeAtStart();
      await taken.agent.handleDesired(await desired({ revision: 5, version: '0.1.0' }));
      expect(last(taken)).toMatchObject({ state: 'committed', revision: 5, running: '0.1.0' });
    });
    expect(last(s)?.problems.join(' ')).toMatch(/revision 4 is not newer than revision 5/);
  });

  it('a document with no bundle for this architecture', async () => {
    const foreign: ReleaseArch = arch === 'arm64' ? 'x64' : 'arm64';
    await refused(() => desired({ revision: 1, bundles: { [foreign]: ref(good) } }), 'UPDATE_WRONG_ARCH');
  });

  it('a bundle whose signature is not the release key\'s: the download is removed', async () => {
    const { layout } = await refused(() => desired({ revision: 1, bundles: { [arch]: ref(good, { signature: readFileSync(otherArch.signature, 'utf8').trim() }) } }), 'UPDATE_BAD_SIGNATURE');
    expect(readdirSync(layout.downloadsDir()).filter((f) => f.endsWith('.tar.gz') || f.endsWith('.part'))).toEqual([]);
  });

  it('a bundle whose sha256 is not the document\'s: the download is removed', async () => {
    const { layout } = await refused(() => desired({ revision: 1, bundles: { [arch]: ref(good, { sha256: createHash('sha256').update('another file').digest('hex') }) } }), 'UPDATE_BAD_HASH');
    expect(readdirSync(layout.downloadsDir()).filter((f) => f.endsWith('.tar.gz') || f.endsWith('.part'))).toEqual([]);
  });

  it('a download cut short every time', async () => {
    const { s } = await refused(() => desired({ revision: 1 }), 'UPDATE_DOWNLOAD_FAILED', undefined, (srv) => {
      srv.switches.honourRange = false;
      srv.switches.cutAfterBytes = 20_000;
    });
    expect(states(s)).toContain('downloading');
    expect(last(s)?.problems.join(' ')).toMatch(/gave up after 2 attempts/);
  });

  it('a download that does not end: cut off at the document\'s size', async () => {
    await refused(() => desired({ revision: 1 }), 'UPDATE_TOO_LARGE', undefined, (srv) => {
      srv.switches.endless = true;
    });
  });

  it('a bundle built for another architecture, signed and whole: nothing of it stays', async () => {
    const { layout } = await refused(() => desired({ revision: 1, bundles: { [arch]: ref(otherArch) } }), 'UPDATE_WRONG_ARCH');
    expect(readdirSync(layout.releasesDir()).sort()).toEqual(['0.1.0']);
  });
});

describe('an update taken', () => {
  let layout: ReleaseLayout;
  let payload: Buffer;

  it('waits while a swap runs, reporting deferred, and goes on when it ends', async () => {
    layout = appRoot();
    const s = station(layout);
    s.sessions.push('a battery swap on cabinet-1');
    await s.agent.resumeAtStart();
    payload = await desired({ revision: 3 });
    server.reset();
    const handled = s.agent.handleDesired(payload);
    await waitFor(() => last(s)?.state === 'deferred', 10_000, 'a deferred report');
    expect(last(s)).toMatchObject({ code: 'UPDATE_BUSY', revision: 3, version: '0.1.1', running: '0.1.0' });
    expect(last(s)?.problems).toEqual(['waiting for a battery swap on cabinet-1 to end']);
    // Two looks later it still waits, and has fetched nothing.
    await new Promise((r) => setTimeout(r, 4500));
    expect(server.requests).toEqual([]);
    expect(s.restarts).toEqual([]);
    s.sessions.splice(0);
    s.online = ['lock-1', 'cabinet-1', 'water-1'];
    await handled;
    expect(states(s)).toEqual(['committed', 'deferred', 'downloading', 'verifying', 'installing', 'switching']);
    expect(s.restarts).toEqual(['switching to version 0.1.1']);
    const state = layout.readState();
    expect(state?.trial).toMatchObject({ version: '0.1.1', from: '0.1.0', boots: 0 });
    expect(state?.revision).toBe(3);
    expect(layout.currentVersion()).toBe('0.1.1');
    // What the new version's gate waits for: the devices online when it switched.
    expect(new AcceptedDocument(layout.downloadsDir()).read()?.expectOnline).toEqual(['lock-1', 'cabinet-1', 'water-1']);
    // The bundle is unpacked and gone from the downloads.
    expect(readdirSync(layout.downloadsDir()).filter((f) => f.endsWith('.tar.gz'))).toEqual([]);
  }, 30_000);

  it('the new version on trial holds a document to the gate, then commits when the gate passes', async () => {
    const s = station(layout, { running: '0.1.1' });
    const resumed = s.agent.resumeAtStart();
    // The retained document comes again while the trial runs: it waits for the gate's decision.
    const again = s.agent.handleDesired(payload);
    await waitFor(() => s.gates.length === 1, 5_000, 'the trial gate');
    expect(states(s)).toEqual(['trial']);
    const gate = s.gates[0] as HealthGate;
    gate.brokerConnected(true);
    gate.deviceOnline('lock-1', true);
    gate.deviceOnline('cabinet-1', true);
    await new Promise((r) => setTimeout(r, 300));
    expect(gate.current).toBe('waiting'); // water-1 was online at the switch
    gate.deviceOnline('water-1', true);
    await resumed;
    await again;
    expect(states(s)).toEqual(['trial', 'committed', 'committed']);
    expect(s.reports.every((r) => r.running === '0.1.1' && r.revision === 3)).toBe(true);
    expect(layout.readState()).toMatchObject({ committed: '0.1.1', previous: '0.1.0' });
    expect(layout.readState()?.trial).toBeUndefined();
    expect(s.restarts).toEqual([]);
  });
});

describe('after a restart', () => {
  it('the same retained document carries on where the last process stopped, its download resumed', async () => {
    const layout = appRoot();
    const first = station(layout, { bytesPerSecond: 64 * 1024 });
    await first.agent.resumeAtStart();
    const payload = await desired({ revision: 9 });
    server.reset();
    const handled = first.agent.handleDesired(payload);
    const part = join(layout.downloadsDir(), `${bundleName('0.1.1', arch)}.part`);
    await waitFor(() => existsSync(part) && statSync(part).size > 64 * 1024, 10_000, 'part of the bundle on disk');
    first.agent.stop();
    await handled;
    const kept = statSync(part).size;
    expect(kept).toBeLessThan(readFileSync(good.bundle).length);
    expect(layout.readState()?.revision).toBe(9);

    const second = station(layout);
    await second.agent.resumeAtStart();
    expect(last(second)).toMatchObject({ state: 'committed', running: '0.1.0' });
    await second.agent.handleDesired(payload);
    expect(states(second)).toEqual(['committed', 'downloading', 'verifying', 'installing', 'switching']);
    expect(server.requests.at(-1)?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(server.requests.at(-1)?.range ?? '')?.[0])).toBeGreaterThanOrEqual(kept - 64 * 1024);
    expect(second.restarts).toEqual(['switching to version 0.1.1']);
    expect(layout.readState()?.trial?.version).toBe('0.1.1');
  }, 30_000);

  it('a version the launcher rolled back is reported and not tried again until a new revision', async () => {
    const layout = appRoot();
    const s = station(layout);
    await s.agent.resumeAtStart();
    const payload = await desired({ revision: 2 });
    await s.agent.handleDesired(payload);
    expect(layout.readState()?.trial?.version).toBe('0.1.1');
    // The launcher's part: the trial crashed twice, back to 0.1.0.
    layout.rollBack('UPDATE_GATE_FAILED', 'version 0.1.1 stopped 2 times on trial without committing', Date.now());
    // And what a kill -9 during an unpack leaves: a partial folder of a process that is gone.
    const leftover = join(layout.releasesDir(), '.0.1.1.4242.partial');
    mkdirSync(join(leftover, 'dist'), { recursive: true });

    const back = station(layout);
    await back.agent.resumeAtStart();
    expect(last(back)).toMatchObject({ state: 'rolled-back', revision: 2, version: '0.1.1', running: '0.1.0', code: 'UPDATE_GATE_FAILED' });
    expect(last(back)?.problems).toEqual(['version 0.1.1 stopped 2 times on trial without committing']);
    expect(layout.readState()?.lastRollback?.reported).toBe(true);
    // The start after the rollback removes the release that failed and the leftover.
    expect(readdirSync(layout.releasesDir())).toEqual(['0.1.0']);
    // The same retained document: not tried again.
    await back.agent.handleDesired(payload);
    expect(last(back)).toMatchObject({ state: 'rolled-back', revision: 2, code: 'UPDATE_GATE_FAILED' });
    expect(back.restarts).toEqual([]);
    expect(layout.readState()?.trial).toBeUndefined();

    // After yet another restart the same document is still not tried, nor refused as old.
    const again = station(layout);
    await again.agent.resumeAtStart();
    expect(last(again)).toMatchObject({ state: 'committed', running: '0.1.0' });
    await again.agent.handleDesired(payload);
    expect(last(again)).toMatchObject({ state: 'rolled-back', revision: 2 });
    expect(again.restarts).toEqual([]);

    // A new revision for the same version is the fleet asking again: tried.
    await again.agent.handleDesired(await desired({ revision: 3 }));
    expect(states(again).slice(-4)).toEqual(['downloading', 'verifying', 'installing', 'switching']);
    expect(again.restarts).toEqual(['switching to version 0.1.1']);
    expect(layout.readState()?.trial?.version).toBe('0.1.1');
  }, 30_000);

  it('a version on trial whose gate fails marks the trial failed and asks for the restart that rolls it back', async () => {
    const layout = appRoot();
    const s = station(layout);
    await s.agent.resumeAtStart();
    await s.agent.handleDesired(await desired({ revision: 1 }));
    const trial = station(layout, { running: '0.1.1', gateSeconds: 1 });
    const resumed = trial.agent.resumeAtStart();
    await waitFor(() => trial.gates.length === 1, 5_000, 'the trial gate');
    trial.gates[0]?.brokerConnected(true);
    // lock-1 and cabinet-1 never come back.
    await resumed;
    expect(last(trial)).toMatchObject({ state: 'trial', code: 'UPDATE_GATE_FAILED', running: '0.1.1', revision: 1 });
    expect(last(trial)?.problems.join(' ')).toMatch(/lock-1 did not come online/);
    expect(layout.readState()?.trial?.failed?.code).toBe('UPDATE_GATE_FAILED');
    expect(trial.restarts).toEqual(['the new version failed its health gate']);
  }, 20_000);
});
