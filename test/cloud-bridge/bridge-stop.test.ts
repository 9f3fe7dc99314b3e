import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';
import { bridgeConfig, makeBridge } from './bridge-harness.js';

/*
 * The bound on a clean stop (issue 14): when the broker never acknowledges the offline status, the
 * bridge does not wait past its deadline, and closes the socket without DISCONNECT, so the broker's
 * Last Will reports the end of the boot rather than a retained `online:true` that nobody corrects.
 */

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('CloudBridge.stop when the broker does not acknowledge the offline status', () => {
  it('gives up at its deadline and leaves the Last Will to the broker', async () => {
    // Every publish is authorised except the station's own offline status, which never is (no PUBACK).
    const aedes = await Aedes.createBroker({
      authorizePublish: (_client, packet, done) => {
        const body = packet.payload.toString();
        if (packet.topic === 'stations/st-test-1/status' && body.includes('"online":false') && body.includes('"ts"')) return;
        done(null);
      },
    });
    const server: Server = createServer((socket) => aedes.handle(socket));
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise((r) => aedes.close(() => r(undefined))), () => new Promise((r) => server.close(r)));
    const url = `mqtt://127.0.0.1:${port}`;
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const recorder = await MqttRecorder.connect(url, 'stations/st-test-1/status');
    cleanups.push(() => recorder.close());

    const b = makeBridge(bridgeConfig(dir.path, { url }));
    cleanups.push(() => b.close());
    b.bridge.start();
    await recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === true);
    const t0 = Date.now();
    await b.bridge.stop(1000);
    expect(Date.now() - t0).toBeLessThan(1000 + 1000);
    const will = await recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === false, 5000);
    expect(will.body).toEqual({ online: false, bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W' });
  });
});
