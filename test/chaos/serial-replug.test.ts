import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { issueToken, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { startSimulators, type StationSimulator } from '../../simulators/station-simulator.js';
import { freePort } from '../helpers/free-port.js';
import { writeFullStation } from '../helpers/full-station.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import type { RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startGateway, tail } from './chaos-harness.js';

/*
 * The door lock's USB adapter unplugged and plugged back, as udev shows it: the tty node goes
 * away with its /dev/serial/by-id link, and comes back as another node (ttyUSB0 → ttyUSB1, each a
 * socat pty) behind the same by-id link, which is what the gateway is configured with. The
 * gateway, never restarted, sees the lock offline, then online again, and an unlock works.
 */

const STATION = 'chaos-plug-0001';
const S = `stations/${STATION}`;

let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker | undefined;
let lock: StationSimulator | undefined;
let gateway: RunningProcess | undefined;
let recorder: MqttRecorder | undefined;
let key: IssuerKey;
let byId: string;

/** A lock controller on a new pty at `tty/<node>`, and the by-id link pointed at it (udev's part). */
async function plugIn(node: string): Promise<StationSimulator> {
  const path = join(dir.path, 'tty', node);
  const sim = await startSimulators([{ id: 'lock-1', kind: 'door-lock', transport: { type: 'serial', endpoint: { type: 'pty', path } } }], { seed: 9 });
  symlinkSync(path, byId);
  return sim;
}

async function unplug(): Promise<void> {
  rmSync(byId, { force: true });
  await lock?.stop();
  lock = undefined;
}

beforeAll(async () => {
  dir = tempDir('station-chaos-plug-');
  mkdirSync(join(dir.path, 'tty'));
  mkdirSync(join(dir.path, 'by-id'));
  byId = join(dir.path, 'by-id', 'usb-Station_Lock_Controller_A1B2C3-if00-port0');
  broker = await startEmbeddedBroker({ port: await freePort() });
  lock = await plugIn('ttyUSB0');
  const station = await writeFullStation(dir.path, { stationId: STATION, brokerUrl: broker.url, devices: ['lock-1'], lockPath: byId });
  key = station.key;
  recorder = await MqttRecorder.connect(broker.url, '#');
  gateway = startGateway(station.configFile);
});

afterAll(async () => {
  await gateway?.kill();
  await recorder?.close();
  await lock?.stop();
  await broker?.close();
  dir?.remove();
});

const lockEvent = (type: string) => (m: { body: Record<string, unknown> }) => m.body['type'] === type && m.body['device'] === 'lock-1';

describe('a serial adapter unplugged and plugged back at another node behind its by-id link', () => {
  it('goes offline, comes back online by itself, and unlocks, with no restart', { timeout: 60_000 }, async () => {
    const rec = recorder!;
    const fail = (what: string) => (err: unknown) => {
      throw new Error(`${what}: ${String(err)}\ngateway:\n${tail(gateway)}`);
    };
    await rec.waitFor(`${S}/events`, lockEvent('device.online'), 20_000).catch(fail('lock online at first'));

    await unplug();
    const offline = await rec.waitFor(`${S}/events`, lockEvent('device.offline'), 15_000).catch(fail('lock offline after the unplug'));
    expect(offline.body['data']).toMatchObject({ code: expect.stringMatching(/^(DISCONNECTED|TIMEOUT)$/) });
    await sleep(1500); // unplugged for a while: the gateway's reopens fail (no such file) and back off

    lock = await plugIn('ttyUSB1');
    const from = rec.messages.indexOf(offline);
    await rec.waitFor(`${S}/events`, lockEvent('device.online'), 40_000, from + 1).catch(fail('lock online after the replug'));
    await rec.waitFor(`${S}/devices/lock-1`, (m) => m.body['online'] === true, 10_000, from + 1);

    const client = await mqtt.connectAsync(broker!.url, { protocolVersion: 4, clientId: 'plug-cloud' });
    try {
      const token = await issueToken(key, { station: STATION, res: 'main-door', act: 'unlock', sub: 'rider-9' });
      await client.publishAsync(`${S}/cmd/unlock`, JSON.stringify({ token, replyTo: 'plug/replies/1', correlationId: 'p-1' }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const reply = await rec.waitFor('plug/replies/1', () => true, 10_000).catch(fail('the unlock reply'));
    expect(reply.body).toMatchObject({ ok: true, correlationId: 'p-1', result: { res: 'main-door', door: 1 } });
    await rec.waitFor(`${S}/events`, lockEvent('access.granted'), 10_000, from + 1);
    const bolt = (lock.device('lock-1').state() as { doors: Array<{ number: number; bolt: string }> }).doors.find((d) => d.number === 1)?.bolt;
    expect(bolt).toBe('unlocked');

    // The same gateway process throughout.
    expect(gateway!.child.exitCode).toBeNull();
    expect(gateway!.output().split('station-gateway ready').length - 1).toBe(1);
  });
});
