import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { issueToken } from '../../simulators/cloud/token-issuer.js';
import { startStationSimulator, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation, type FullStation } from '../helpers/full-station.js';
import { MqttRecorder, type Recorded } from '../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { integrityCheck, readEvents, startGateway, tail } from './chaos-harness.js';
import { DiskFiller, mountTmpfs, unmount } from './tmpfs.js';

/*
 * Every periodic task and listener of the gateway with the disk really full (a 6 MB tmpfs filled
 * to ENOSPC, root only): the time floor's tick and housekeeping at 1 s (the internal periods set
 * through the environment, docs/storage.md), the held-event retry (5 s), the delivery-mark retry
 * (2 s), a door held open past its 5 s, a forced door, people in and out, a device going offline
 * and back, smoke, a cloud unlock and a scan. The process stays up; restarted while the disk is
 * still full it comes up (no restart loop) and runs; once there is room it catches up: the held
 * events are delivered, the alarm clears, the boot counter and time floor are on disk.
 */

const STATION = 'chaos-sweep-0001';
const S = `stations/${STATION}`;
const PERIOD_MS = 1000;

let dir: ReturnType<typeof tempDir> | undefined;
let mounted: string | undefined;
let broker: EmbeddedBroker | undefined;
let sim: StationSimulator | undefined;
const gateways: RunningProcess[] = [];
let recorder: MqttRecorder | undefined;
let cloud: MqttClient | undefined;

afterAll(async () => {
  try {
    for (const g of gateways) await g.kill();
    await cloud?.endAsync();
    await recorder?.close();
    await sim?.stop();
    await broker?.close();
  } finally {
    if (mounted) unmount(mounted);
    dir?.remove();
  }
});

const alarmsNow = (m: Recorded): string[] => ((m.body['alarms'] as Array<{ alarm: string }> | undefined) ?? []).map((a) => a.alarm);

function startSweptGateway(configFile: string): RunningProcess {
  // Inherited by the child: the internal periods, short enough to sweep within the test.
  process.env['STATION_GATEWAY_CLOCK_TICK_MS'] = String(PERIOD_MS);
  process.env['STATION_GATEWAY_UPKEEP_MS'] = String(PERIOD_MS);
  try {
    const g = startGateway(configFile);
    gateways.push(g);
    return g;
  } finally {
    delete process.env['STATION_GATEWAY_CLOCK_TICK_MS'];
    delete process.env['STATION_GATEWAY_UPKEEP_MS'];
  }
}

function storedMeta(dbFile: string, key: string): unknown {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? JSON.parse(row.value) : undefined;
  } finally {
    db.close();
  }
}

describe('disk full: every periodic task and listener', () => {
  it('stays up, comes up again while full, and catches up once there is room', { timeout: 150_000 }, async (ctx) => {
    dir = tempDir('station-chaos-sweep-');
    const data = join(dir.path, 'data');
    mkdirSync(data);
    const cannot = mountTmpfs(data, '6m');
    if (cannot) {
      process.stdout.write(`[chaos] disk-full-sweep: SKIPPED: ${cannot}\n`);
      ctx.skip(cannot);
      return;
    }
    mounted = data;
    broker = await startEmbeddedBroker({ port: await freePort() });
    const station: FullStation = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, dataDir: data });
    // The shortest held-open time the schema allows, so the door.held timer fires during the sweep.
    writeFileSync(station.configFile, readFileSync(station.configFile, 'utf8').replace('unlockMs: 1500', 'unlockMs: 1500, heldOpenSeconds: 5'));
    sim = await startStationSimulator(loadStationConfig(station.configFile), { seed: 5 });
    recorder = await MqttRecorder.connect(broker.url, `${S}/#`);
    const rec = recorder;
    const replies = await MqttRecorder.connect(broker.url, 'sweep/replies/#');
    cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'sweep-cloud' });
    let gateway = startSweptGateway(station.configFile);
    const fail = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${String(err)}\ngateway:\n${tail(gateway, 40)}`);
    };
    const alive = (what: string): void => {
      expect(gateway.child.exitCode, `${what}\n${tail(gateway, 40)}`).toBeNull();
      expect(gateway.child.signalCode, `${what}\n${tail(gateway, 40)}`).toBeNull();
    };
    let asked = 0;
    const unlock = async (): Promise<Record<string, unknown>> => {
      const id = `u-${++asked}`;
      const token = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'sweep-worker' });
      await cloud!.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: `sweep/replies/${id}`, correlationId: id }), { qos: 1 });
      return (await replies.waitFor(`sweep/replies/${id}`, () => true, 10_000).catch(fail(`reply ${id}`))).body;
    };

    await gateway.waitForOutput('station-gateway ready', 20_000).catch(fail('first start'));
    await rec.waitFor(`${S}/events`, (m) => m.body['type'] === 'device.online' && m.body['device'] === 'lock-1', 20_000).catch(fail('lock online'));
    expect(await unlock()).toMatchObject({ ok: true });
    const unlockedAt = Date.now();

    // Fill the disk until a write fails for real (the WAL may hold room of its own for a while).
    const filler = new DiskFiller(join(data, 'filler'));
    let n = 0;
    const happen = async (): Promise<void> => {
      const k = n++;
      await sim!.command('lock-1 exit 2');
      await sim!.command(k % 2 === 0 ? 'occupancy-1 person enter' : 'occupancy-1 person leave');
    };
    const fullAt = await waitFor(
      async () => {
        filler.fillAgain();
        await happen();
        await sleep(300);
        return rec.on(`${S}/alarms`).find((m) => alarmsNow(m).includes('store.disk-full'));
      },
      30_000,
      'the store.disk-full alarm',
    ).catch(fail('store.disk-full'));
    const fullFrom = new Date();

    // The sweep: every listener that writes, while every periodic task runs several times.
    // Past the unlock's window (1.5 s and 3 s of grace), so opening the door is forcing it.
    await sleep(Math.max(0, unlockedAt + 5000 - Date.now()));
    await sim.command('lock-1 door 1 open'); // forced: an alarm from memory, the door.held timer armed
    await sim.command('cabinet-1 fault silent on'); // offline after three polls: event and alarm
    await sim.command('cabinet-1 smoke on');
    const refused = await unlock(); // cannot be recorded: refused, and the token's iat moves the floor in memory
    expect(refused).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    const scanned = await issueToken(station.key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'sweep-scan' });
    await sim.command(`scanner-1 scan ${scanned}`);
    for (let i = 0; i < 8; i++) {
      await happen();
      filler.fillAgain();
      await sleep(PERIOD_MS);
    }
    await sim.command('cabinet-1 fault silent off');
    await sim.command('cabinet-1 smoke off');
    await sim.command('lock-1 door 1 close');
    await sleep(6 * PERIOD_MS); // past the held-event retry (5 s) once more, and the mark retry
    alive('the gateway died on the full disk');
    expect(gateway.output(), 'the time floor tick ran on the full disk').toContain('the time floor moves in memory');
    const sweptUntil = new Date();

    // Room again: everything held is written and delivered, and the alarm clears.
    filler.free();
    const inWindow = (from: Date, until: Date) => (m: Recorded): boolean => {
      const ts = m.body['ts'];
      return typeof ts === 'string' && ts >= from.toISOString() && ts <= until.toISOString();
    };
    const typesIn = (from: Date, until: Date): Set<unknown> => new Set(rec.on(`${S}/events`).filter(inWindow(from, until)).map((m) => m.body['type']));
    await rec.waitFor(`${S}/alarms`, (m) => !alarmsNow(m).includes('store.disk-full'), 20_000, rec.messages.indexOf(fullAt) + 1).catch(fail('store.disk-full cleared'));
    const swept = ['door.forced', 'door.held', 'door.closed', 'exit.pressed', 'device.offline', 'device.online'];
    await waitFor(() => swept.every((t) => typesIn(fullFrom, sweptUntil).has(t)), 20_000, 'the events of the full disk delivered').catch(
      fail(`held events delivered (got ${[...typesIn(fullFrom, sweptUntil)].join(', ')})`),
    );
    await waitFor(() => {
      const floor = storedMeta(station.dbFile, 'timeFloor') as { at: string } | undefined;
      return floor !== undefined && floor.at >= sweptUntil.toISOString();
    }, 10_000, 'the time floor on disk again').catch(fail('time floor written'));
    alive('after the disk had room again');

    // Full again, and restarted while it stays full: it must come up and run, not die in a loop.
    const refillFrom = rec.messages.length;
    await waitFor(
      async () => {
        filler.fillAgain();
        await happen();
        await sleep(300);
        return rec.messages.slice(refillFrom).find((m) => m.topic === `${S}/alarms` && alarmsNow(m).includes('store.disk-full'));
      },
      30_000,
      'store.disk-full again',
    ).catch(fail('store.disk-full again'));
    const firstBoot = gateway;
    firstBoot.child.kill('SIGTERM');
    expect((await firstBoot.exited).code, tail(firstBoot, 40)).toBe(0);
    // A stop that cannot checkpoint leaves the WAL index; one that could (the disk filled by
    // something else afterwards) removes it, and making it again needs room: the harder start.
    rmSync(`${station.dbFile}-shm`, { force: true });
    filler.fillAgain(); // the room the index took
    const restartedAt = new Date();
    const beforeRestart = rec.messages.length;
    gateway = startSweptGateway(station.configFile);
    await gateway.waitForOutput('station-gateway ready', 20_000).catch(fail('start on a full disk'));
    await rec.waitFor(`${S}/alarms`, (m) => alarmsNow(m).includes('store.disk-full'), 20_000, beforeRestart).catch(fail('store.disk-full after the restart'));
    for (let i = 0; i < 6; i++) {
      await happen();
      await sleep(PERIOD_MS);
    }
    expect(await unlock()).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    alive('the gateway died after a restart on the full disk');
    expect(gateway.output()).toContain('database opened in exclusive mode');
    const fullUntil = new Date();

    // Room again: the second boot catches up too, and the file is shared with readers again.
    filler.free();
    const freedAt = rec.messages.length;
    await rec.waitFor(`${S}/alarms`, (m) => !alarmsNow(m).includes('store.disk-full'), 20_000, freedAt).catch(fail('store.disk-full cleared after the restart'));
    const bootEvent = await rec
      .waitFor(`${S}/events`, (m) => m.body['type'] === 'gateway.started' && (m.body['ts'] as string) >= restartedAt.toISOString(), 20_000)
      .catch(fail('the second boot delivered'));
    expect((bootEvent.body['data'] as { bootCount: number }).bootCount).toBe(2);
    await waitFor(() => typesIn(restartedAt, fullUntil).has('exit.pressed'), 20_000, 'events of the second boot delivered').catch(fail('second boot events'));
    await waitFor(
      () => {
        try {
          return readEvents(station.dbFile).every((r) => r.delivered_at !== null);
        } catch {
          return false; // still exclusive: another reader waits
        }
      },
      20_000,
      'outbox empty and the file shared with readers',
    ).catch(fail('outbox empty'));
    expect(storedMeta(station.dbFile, 'bootCount')).toBe(2);
    await waitFor(() => {
      const floor = storedMeta(station.dbFile, 'timeFloor') as { at: string } | undefined;
      return floor !== undefined && floor.at >= restartedAt.toISOString();
    }, 10_000, 'the time floor of the second boot on disk').catch(fail('time floor written'));
    expect(await unlock()).toMatchObject({ ok: true });
    alive('after the disk had room again');

    gateway.child.kill('SIGTERM');
    expect((await gateway.exited).code, tail(gateway, 40)).toBe(0);
    expect(integrityCheck(station.dbFile)).toBe('ok');
    const rows = readEvents(station.dbFile);
    const delivered = new Set(rec.on(`${S}/events`).map((m) => m.body['id']));
    expect(rows.filter((r) => !delivered.has(r.id))).toEqual([]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    await replies.close();
    process.stdout.write(
      `[chaos] disk-full-sweep: ${JSON.stringify({ sweptSeconds: (sweptUntil.getTime() - fullFrom.getTime()) / 1000, restartedFullSeconds: (fullUntil.getTime() - restartedAt.getTime()) / 1000, eventsDuringSweep: rec.on(`${S}/events`).filter(inWindow(fullFrom, sweptUntil)).length, storedEvents: rows.length })}\n`,
    );
  });
});
