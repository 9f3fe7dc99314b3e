import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { bundleName, MANIFEST_FILE, type ReleaseArch, type ReleaseManifest } from '../../config/release-manifest.js';
import { loadTrustedKeys, type TrustedKeys } from '../../config/trusted-keys.js';
import { readConfigKey, writeConfigKey, type ConfigSigningKey } from '../../fleet/config/config-keys.js';
import { readReleasePrivateKey, signBundle, writeReleaseKey } from '../../fleet/release/release-key.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * What the rollout tests need on disk: the fleet configuration key (both halves, as
 * `config keygen` writes them) and bundles named, laid out and signed as `release build` makes
 * them: a gzipped tar with a manifest at its top, its detached signature beside it. Small (the
 * simulated stations download nothing), but real files a station's checks could run on.
 */

export interface UpdateKeys {
  signing: ConfigSigningKey;
  privateKeyFile: string;
  publicKeysFile: string;
  stationKeys: TrustedKeys;
  releaseKeyFile: string;
}

export async function makeUpdateKeys(dir: string): Promise<UpdateKeys> {
  const written = await writeConfigKey(join(dir, 'config'), 'fleet-config-1');
  const release = writeReleaseKey(join(dir, 'release'));
  return {
    signing: await readConfigKey(written.privateKeyFile),
    privateKeyFile: written.privateKeyFile,
    publicKeysFile: written.publicKeysFile,
    stationKeys: await loadTrustedKeys(written.publicKeysFile),
    releaseKeyFile: release.privateKeyFile,
  };
}

/** A bundle of `version` for `arch` in `outDir`, signed with the release key; returns its path. */
export function makeBundle(outDir: string, version: string, arch: ReleaseArch, releaseKeyFile: string): string {
  const stage = mkdtempSync(join(outDir, 'stage-'));
  try {
    const entry = `console.log('station-gateway ${version}');\n`;
    mkdirSync(join(stage, 'dist', 'gateway', 'cli'), { recursive: true });
    writeFileSync(join(stage, 'dist', 'gateway', 'cli', 'station-gateway.js'), entry);
    const manifest: ReleaseManifest = {
      name: 'station-gateway',
      version,
      platform: 'linux',
      arch,
      node: [20, 22],
      builtAt: '2026-12-01T00:00:00.000Z',
      files: [{ path: 'dist/gateway/cli/station-gateway.js', size: Buffer.byteLength(entry), sha256: createHash('sha256').update(entry).digest('hex') }],
    };
    writeFileSync(join(stage, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const bundle = join(outDir, bundleName(version, arch));
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', bundle, '-C', stage, '.']);
    writeFileSync(`${bundle}.sig`, signBundle(readFileSync(bundle), readReleasePrivateKey(releaseKeyFile)));
    return bundle;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Every document published on the stations' `S/desired/version`, as the broker delivers them to
 * a subscriber that was there first: how a test counts what the rollout published to whom.
 */
export class DesiredVersionLog {
  readonly published = new Map<string, string[]>();
  private constructor(private readonly client: MqttClient) {}

  static async connect(url: string, prefix = 'stations'): Promise<DesiredVersionLog> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0, clientId: `desired-log-${Math.random().toString(16).slice(2)}` });
    const log = new DesiredVersionLog(client);
    client.on('message', (topic, payload) => {
      const station = topic.slice(prefix.length + 1, -'/desired/version'.length);
      if (payload.length === 0) return;
      const list = log.published.get(station) ?? [];
      list.push((JSON.parse(payload.toString('utf8')) as { document: string }).document);
      log.published.set(station, list);
    });
    await client.subscribeAsync(`${prefix}/+/desired/version`, { qos: 1 });
    return log;
  }

  count(station: string): number {
    return this.published.get(station)?.length ?? 0;
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/**
 * What is retained on `S/desired/version` of `asked` (station → document), read by a new
 * subscriber. `control` are stations known to have one: they are subscribed after `asked`, and the
 * read ends when all of theirs have come, so whatever the broker retains for `asked` (sent after
 * the earlier SUBACK, before the later one's) has come by then too.
 */
export async function retainedDesired(url: string, asked: readonly string[], control: readonly string[], timeoutMs = 30_000, prefix = 'stations'): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0, clientId: `retained-${Math.random().toString(16).slice(2)}` });
  const found = new Map<string, string>();
  client.on('message', (topic, payload, packet) => {
    if (!packet.retain || payload.length === 0) return;
    found.set(topic.slice(prefix.length + 1, -'/desired/version'.length), (JSON.parse(payload.toString('utf8')) as { document: string }).document);
  });
  try {
    for (const group of [asked, control]) {
      for (let i = 0; i < group.length; i += 500) await client.subscribeAsync(group.slice(i, i + 500).map((s) => `${prefix}/${s}/desired/version`), { qos: 1 });
    }
    await waitFor(() => control.every((s) => found.has(s)), timeoutMs, 'the retained documents of the control stations');
  } finally {
    await client.endAsync();
  }
  return found;
}

/** The payload of a compact JWS, read without checking it (the test checks what was signed). */
export const payloadOf = (jws: string): Record<string, unknown> => JSON.parse(Buffer.from(jws.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
