import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { issueToken } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { integrityCheck, readEvents, startGateway, tail } from './chaos-harness.js';
import { fill, mountTmpfs, unmount } from './tmpfs.js';

/*
 * The disk fills up under the gateway: its database on a small tmpfs (mounted for the test, so it
 * needs root; skipped with the reason otherwise), filled by a filler file while the gateway and the
 * station keep writing. The gateway keeps running, raises the retained `store.disk-full` alarm,
 * refuses an unlock it cannot record, holds what happened meanwhile; once the filler is gone it
 * writes and delivers those events, clears the alarm, and the file passes integrity_check.
 */

const STATION = 'chaos-full-0001';
const S = `stations/${STATION}`;
const FS_SIZE = '6m';

let dir: ReturnType<typeof tempDir> | undefined;
let mounted: string | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;
let gateway: RunningProcess | undefined;
let recorder: MqttRecorder | undefined;

afterAll(async () => {
  await gateway?.kill();
  await recorder?.close();
  await sim?.stop();
  await broker?.close();
  if (mounted) unmount(mounted);
  dir?.remove();
});

const alarmsNow = (m: { body: Record<string, unknown> }): string[] => ((m.body['alarms'] as Array<{ alarm: string }> | undefined) ?? []).map((a) => a.alarm);

describe('disk full during writes', () => {
  it('keeps running, raises store.disk-full, and writes and delivers what happened once there is room', { timeout: 90_000 }, async (ctx) => {
    dir = tempDir('station-chaos-full-');
    const data = join(dir.path, 'data');
    mkdirSync(data);
    const cannot = mountTmpfs(data, FS_SIZE);
    if (cannot) {
      process.stdout.write(`[chaos] disk-full: SKIPPED: ${cannot}\n`);
      ctx.skip(cannot);
      return;
    }
    mounted = data;
    broker = await startEmbeddedBroker({ port: await freePort() });
    const station: FullStation = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, dataDir: data });
    sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 4 });
    recorder = await MqttRecorder.connect(broker.url, `${S}/#`);
    const rec = recorder;
    gateway = startGateway(station.configFile);
    const fail = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${String(err)}\ngateway:\n${tail(gateway, 40)}`);
    };
    await gateway.waitForOutput('station-gateway ready', 20_000);
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online' && m.body['device'] === 'lock-1', 20_000).catch(fail('lock online'));

    // Fill the disk; the station goes on: doors opened by hand (forced), people in and out.
    const filler = join(data, 'filler');
    const filled = fill(filler);
    const fullFrom = new Date();
    let n = 0;
    const happen = async (): Promise<void> => {
      const k = n++;
      await sim!.command(k % 2 === 0 ? 'lock-1 door 1 open' : 'lock-1 door 1 close');
      await sim!.command(`occupancy-1 person ${k % 2 === 0 ? 'enter' : 'leave'}`);
    };
    const alarmed = await waitFor(
      async () => {
        await happen();
        // The WAL may still have room of its own: keep the station busy until a write fails.
        fill(`${filler}-${n}`);
        await sleep(400);
        return rec.on(`${S}/alarms`).find((m) => alarmsNow(m).includes('store.disk-full'));
      },
      30_000,
      'the store.disk-full alarm',
    ).catch(fail('store.disk-full'));
    expect(alarmed.retain || rec.on(`${S}/alarms`).length > 0).toBe(true);

    // While full: an unlock the gateway cannot record is refused, and the door stays locked.
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'full-cloud' });
    const replies = await MqttRecorder.connect(broker.url, 'full/replies/#');
    try {
      const token = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock' });
      await client.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: 'full/replies/1', correlationId: 'f-1' }), { qos: 1 });
      const reply = await replies.waitFor('full/replies/1', () => true, 10_000).catch(fail('the unlock reply'));
      expect(reply.body).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    } finally {
      await client.endAsync();
      await replies.close();
    }
    // More happens, held in memory; past a retry of the held events (every 5 s) that fails again.
    for (let i = 0; i < 4; i++) {
      await happen();
      await sleep(1500);
    }
    const fullUntil = new Date();
    expect(gateway.child.exitCode, tail(gateway, 40)).toBeNull();
    // Alarms raised while the disk was full are published all the same, and clear.
    const whileFull = rec.on(`${S}/alarms`).slice(rec.on(`${S}/alarms`).indexOf(alarmed)).map(alarmsNow);
    expect(whileFull.some((a) => a.includes('store.disk-full') && a.includes('door.forced'))).toBe(true);
    expect(whileFull.some((a) => a.includes('store.disk-full') && !a.includes('door.forced'))).toBe(true);

    // Room again: the filler goes, the held events are written and delivered, the alarm clears.
    for (let i = 0; i <= n; i++) rmSync(i === 0 ? filler : `${filler}-${i}`, { force: true });
    await rec
      .waitFor(`${S}/alarms`, (m) => !alarmsNow(m).includes('store.disk-full'), 20_000, rec.messages.indexOf(alarmed) + 1)
      .catch(fail('store.disk-full cleared'));
    const duringFull = (ts: unknown): boolean => typeof ts === 'string' && ts >= fullFrom.toISOString() && ts <= fullUntil.toISOString();
    await waitFor(() => rec.on(`${S}/events`).filter((m) => m.body['type'] === 'door.closed' && duringFull(m.body['ts'])).length >= 2, 20_000, 'door events from the full disk delivered').catch(
      fail('held events delivered'),
    );
    await waitFor(() => readEvents(station.dbFile).every((r) => r.delivered_at !== null), 20_000, 'outbox empty').catch(fail('outbox empty'));
    expect(gateway.child.exitCode).toBeNull();
    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code, tail(gateway, 40)).toBe(0);

    // Nothing lost, nothing twice: every event stamped during the full disk is stored once and was delivered.
    const rows = readEvents(station.dbFile);
    const delivered = new Set(rec.on(`${S}/events`).map((m) => m.body['id']));
    const fromFull = rec.on(`${S}/events`).filter((m) => duringFull(m.body['ts']));
    const stored = new Set(rows.map((r) => r.id));
    expect(fromFull.filter((m) => !stored.has(m.body['id'] as string))).toEqual([]);
    expect(rows.filter((r) => !delivered.has(r.id))).toEqual([]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(integrityCheck(station.dbFile)).toBe('ok');
    process.stdout.write(
      `[chaos] disk-full: ${JSON.stringify({ fs: FS_SIZE, fillerBytes: filled, eventsDuringFull: fromFull.map((m) => m.body['type']), storedEvents: rows.length, fullSeconds: (fullUntil.getTime() - fullFrom.getTime()) / 1000 })}\n`,
    );
  });
});
