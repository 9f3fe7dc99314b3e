import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { generateIssuerKey, issueToken, writeTrustedKeys, type IssuerKey } from '../../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { startGateway, tail } from '../../chaos/chaos-harness.js';
import { freePort } from '../../helpers/free-port.js';
import { writeFullStation } from '../../helpers/full-station.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * A key rotation applied by `systemctl reload` (SIGHUP) on a running gateway process, with the
 * trusted-keys file replaced in place (same path): the revoked key stops opening the door and the
 * new one opens it, without a restart; the kids added and removed are in the log; a file that no
 * longer validates refuses the reload by name and the keys in use stay.
 */

const STATION = 'rot-st-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir> | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;
let gateway: RunningProcess | undefined;
let replies: MqttRecorder | undefined;
let cloud: MqttClient | undefined;

afterAll(async () => {
  await gateway?.stop();
  await cloud?.endAsync(true);
  await replies?.close();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('key rotation on reload', () => {
  it('a revoked key stops opening doors and the new one opens them, without a restart', { timeout: 60_000 }, async () => {
    dir = tempDir('station-key-rotation-');
    broker = await startEmbeddedBroker({ port: await freePort() });
    const station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['lock-1'] });
    const keysFile = join(dir.path, 'trusted.jwks.json');
    const old = station.key;
    const fresh = await generateIssuerKey(`${STATION}-issuer-2027`);
    sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 8 });
    replies = await MqttRecorder.connect(broker.url, 'rot/replies/#');
    cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'rot-cloud' });
    gateway = startGateway(station.configFile);
    const g = gateway;
    await g.waitForOutput('station-gateway ready', 20_000);
    await g.waitForOutput(/"device":"lock-1".*"msg":"device online"/, 20_000);

    let n = 0;
    const unlockWith = async (key: IssuerKey): Promise<Record<string, unknown>> => {
      const id = `r-${++n}`;
      const token = await issueToken(key, { station: STATION, res: 'main-door', act: 'unlock' });
      await cloud!.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: `rot/replies/${id}`, correlationId: id }), { qos: 1 });
      return (await replies!.waitFor(`rot/replies/${id}`, () => true, 10_000)).body;
    };
    const reload = async (expect: RegExp): Promise<string> => {
      const from = g.output().length;
      g.child.kill('SIGHUP');
      await g.waitForOutput(expect, 10_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${tail(g, 20)}`);
      });
      return g.output().slice(from);
    };

    expect(await unlockWith(old)).toMatchObject({ ok: true });
    expect(await unlockWith(fresh)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_KEY' } });

    // The rotation's middle step: both trusted.
    writeTrustedKeys(keysFile, [old, fresh]);
    let said = await reload(/trusted keys reloaded.*\n(.*\n)*.*configuration reloaded/);
    expect(said).toContain(`"added":["${fresh.kid}"]`);
    expect(said).toContain('"removed":[]');
    expect(said).not.toContain('nothing changed');
    expect(await unlockWith(old)).toMatchObject({ ok: true });
    expect(await unlockWith(fresh)).toMatchObject({ ok: true });

    // The last step: the old key revoked. Same path, new content.
    writeTrustedKeys(keysFile, [fresh]);
    said = await reload(/"removed":\[[^\]]+\].*trusted keys reloaded/);
    expect(said).toContain(`"removed":["${old.kid}"]`);
    expect(await unlockWith(old)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_KEY' } });
    expect(await unlockWith(fresh)).toMatchObject({ ok: true });

    // A file that no longer validates (a private key pasted in) is refused by name; the keys in use stay.
    const broken = JSON.parse(readFileSync(keysFile, 'utf8')) as { keys: Array<Record<string, unknown>> };
    broken.keys.push({ ...old.publicJwk, kid: 'pasted-by-mistake', d: 'AAAA' });
    writeFileSync(keysFile, JSON.stringify(broken));
    said = await reload(/reload refused: the trusted keys file does not validate/);
    expect(said).toContain('RELOAD_REFUSED');
    expect(said).toContain('pasted-by-mistake');
    expect(said).toContain('trusted.jwks.json');
    expect(await unlockWith(fresh)).toMatchObject({ ok: true });
    expect(await unlockWith(old)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_KEY' } });
    expect(g.child.exitCode).toBeNull();
  });
});
