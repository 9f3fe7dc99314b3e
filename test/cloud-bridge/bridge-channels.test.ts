import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { bridgeConfig, makeBridge, useBrokerFixture } from './bridge-harness.js';

/*
 * What parts outside the bridge use of its connection: following a topic of the station's tree
 * (desired configuration, a renewal's reply), reporting retained state, hearing the link go up
 * and down, and a reconnect that is a planned one (no Last Will) rather than a crash.
 */

const fx = useBrokerFixture('#');
const S = 'stations/st-test-1';

describe('the bridge, for the parts that use its connection', () => {
  it('follows a station topic (retained too, after each connect) and republishes reports on every connect', async () => {
    const config = bridgeConfig(fx.dir.path, { url: fx.broker.url });
    const cloud = await mqtt.connectAsync(fx.broker.url, { protocolVersion: 4, clientId: 'cloud-1', reconnectPeriod: 0 });
    fx.closers.push(() => cloud.endAsync(true));
    await cloud.publishAsync(`${S}/desired/config`, JSON.stringify({ document: 'first' }), { qos: 1, retain: true });
    const b = makeBridge(config);
    fx.closers.push(() => b.close());
    const heard: Array<{ body: string; retained: boolean }> = [];
    const ups: boolean[] = [];
    b.bridge.follow('desired/config', (m) => heard.push({ body: m.payload.toString(), retained: m.retained }));
    b.bridge.onConnection((up) => ups.push(up));
    b.bridge.report('config', { revision: 1, state: 'applied' });
    b.bridge.start();
    await waitFor(() => heard.length === 1, 5000, 'the retained desired config');
    expect(heard[0]).toEqual({ body: JSON.stringify({ document: 'first' }), retained: true });
    await fx.recorder.waitFor(`${S}/config`, (m) => m.body['revision'] === 1);
    await cloud.publishAsync(`${S}/desired/config`, JSON.stringify({ document: 'second' }), { qos: 1, retain: true });
    await waitFor(() => heard.length === 2, 5000, 'the live desired config');
    expect(heard[1]?.retained).toBe(false);
    expect(() => b.bridge.follow('cmd/unlock', () => undefined)).toThrow(/cmd/);

    // A planned reconnect: no Last Will, birth and reports again, followed topics followed again.
    const before = fx.recorder.messages.length;
    await b.bridge.reconnect(5000);
    expect(b.bridge.connected).toBe(true);
    await fx.recorder.waitFor(`${S}/status`, (m) => m.body['online'] === true, 5000, before);
    await fx.recorder.waitFor(`${S}/config`, (m) => m.body['revision'] === 1, 5000, before);
    await waitFor(() => heard.length === 3, 5000, 'the retained desired config after the reconnect');
    const will = fx.recorder.messages.slice(before).filter((m) => m.topic === `${S}/status` && m.body['online'] === false);
    expect(will, 'a planned reconnect is not a crash: no Last Will').toEqual([]);
    expect(ups).toEqual([true, false, true]);

    // Events still flow on the new connection.
    b.outbox.append({ type: 'gateway.started', data: { version: '9.9.9', bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', bootCount: 1 } });
    await fx.recorder.waitFor(`${S}/events`, (m) => m.body['type'] === 'gateway.started', 5000, before);
    await b.bridge.publishOnce('enrol/request', JSON.stringify({ requestId: 'r-1' }));
    await fx.recorder.waitFor(`${S}/enrol/request`, (m) => m.body['requestId'] === 'r-1', 5000, before);
  }, 30_000);
});
