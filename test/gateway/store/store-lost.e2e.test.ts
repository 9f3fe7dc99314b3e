import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { issueToken } from '../../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { startGateway, tail } from '../../chaos/chaos-harness.js';
import { freePort } from '../../helpers/free-port.js';
import { writeFullStation } from '../../helpers/full-station.js';
import { MqttRecorder } from '../../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../../helpers/processes.js';
import { tempDir } from '../../helpers/temp-dir.js';

/*
 * The database deleted under a stopped gateway (its WAL and index too), as a crew wiping a "bad"
 * file or an SD card losing it would: the restarted gateway raises store.lost, and a token used
 * seconds before does not open the door again (its replay record went with the file).
 */

const STATION = 'lost-st-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir> | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;
const gateways: RunningProcess[] = [];
let rec: MqttRecorder | undefined;
let cloud: MqttClient | undefined;

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await cloud?.endAsync(true);
  await rec?.close();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

describe('a lost database', () => {
  it('is alarmed, and a token used before the loss does not open the door again', { timeout: 60_000 }, async () => {
    dir = tempDir('station-store-lost-');
    broker = await startEmbeddedBroker({ port: await freePort() });
    const station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['lock-1'] });
    sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 9 });
    rec = await MqttRecorder.connect(broker.url, `${S}/#`);
    const replies = await MqttRecorder.connect(broker.url, 'lost/replies/#');
    cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'lost-cloud' });
    const run = async (): Promise<RunningProcess> => {
      const g = startGateway(station.configFile);
      gateways.push(g);
      await g.waitForOutput('station-gateway ready', 20_000);
      await g.waitForOutput(/"device":"lock-1".*"msg":"device online"/, 20_000);
      return g;
    };
    let n = 0;
    const send = async (token: string): Promise<Record<string, unknown>> => {
      const id = `l-${++n}`;
      await cloud!.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: `lost/replies/${id}`, correlationId: id }), { qos: 1 });
      return (await replies.waitFor(`lost/replies/${id}`, () => true, 10_000)).body;
    };

    const first = await run();
    const used = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'w-lost' });
    expect(await send(used)).toMatchObject({ ok: true });
    first.child.kill('SIGTERM');
    expect((await first.exited).code, tail(first)).toBe(0);

    for (const suffix of ['', '-wal', '-shm']) rmSync(station.dbFile + suffix, { force: true });
    const alarmsFrom = rec.messages.length;
    const second = await run();
    await rec.waitFor(`${S}/alarms`, (m) => ((m.body['alarms'] as Array<{ alarm: string }>) ?? []).some((a) => a.alarm === 'store.lost'), 10_000, alarmsFrom).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${tail(second)}`);
    });
    expect(await send(used)).toMatchObject({ ok: false, error: { code: 'EXPIRED' } });
    // Token times are whole seconds: one issued in the second of the reset is refused too (the safe side).
    await sleep(1100);
    const fresh = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'w-lost' });
    expect(await send(fresh)).toMatchObject({ ok: true });
    await replies.close();
  });
});
