import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stationConfigSchema, type StationConfig } from '../../config/station-schema.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait-for.js';
import { deviceState, makeBridge as makeHarnessBridge, useBrokerFixture, type BridgeUnderTest } from './bridge-harness.js';

const fx = useBrokerFixture();
const { closers } = fx;

function config(location?: { lat: number; lon: number }): StationConfig {
  return stationConfigSchema.parse({
    station: { id: 'st-test-1', ...(location ? { location } : {}) },
    cloud: { url: fx.broker.url, protocolVersion: 4, heartbeatSeconds: 5 },
    storage: { path: join(fx.dir.path, 'g.db') },
    devices: [{ id: 'occ-1', kind: 'occupancy', profile: 'occupancy-ref', transport: { type: 'modbus-tcp', host: '127.0.0.1', unitId: 3 } }],
  });
}

/** The harness's bridge, as this file's tests name it: boot id `boot-1`, stopped and closed after each test. */
function makeBridge(location?: { lat: number; lon: number }): BridgeUnderTest {
  const bridge = makeHarnessBridge(config(location), { bootId: 'boot-1' });
  closers.push(() => bridge.close());
  return bridge;
}

describe('CloudBridge on the embedded broker over a real socket', () => {
  it('publishes a retained birth that a later subscriber still receives', async () => {
    const { bridge } = makeBridge();
    bridge.start();
    closers.push(() => bridge.stop());
    await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === true);

    const late = await MqttRecorder.connect(fx.broker.url);
    closers.push(() => late.close());
    const birth = await late.waitFor('stations/st-test-1/status');
    expect(birth.retain).toBe(true);
    expect(birth.body).toMatchObject({ online: true, version: '9.9.9', bootId: 'boot-1', devices: [{ id: 'occ-1', kind: 'occupancy', model: 'OCC-REF' }] });
    expect(String(birth.body['ts'])).toMatch(/Z$/);
    // No station.location configured: the birth is the one it was before the field existed.
    expect(birth.body).not.toHaveProperty('location');
    // station.timezone defaults to UTC, and the birth says so rather than leaving readers to guess.
    expect(birth.body['timezone']).toBe('UTC');
  });

  it('publishes device state on change beyond the deadband, retained', async () => {
    const { bridge } = makeBridge();
    bridge.start();
    closers.push(() => bridge.stop());
    await waitFor(() => bridge.connected, 5000, 'bridge connected');
    const topic = 'stations/st-test-1/devices/occ-1';
    bridge.deviceState('occ-1', deviceState({ people: 1, stillSeconds: 10 }));
    await fx.recorder.waitFor(topic, (m) => (m.body['points'] as Record<string, unknown>)['stillSeconds'] === 10);
    bridge.deviceState('occ-1', deviceState({ people: 1, stillSeconds: 12 })); // inside the deadband: not sent
    bridge.deviceState('occ-1', deviceState({ people: 2, stillSeconds: 12 })); // people changed: sent
    const second = await fx.recorder.waitFor(topic, (m) => (m.body['points'] as Record<string, unknown>)['people'] === 2);
    expect(second.body).toMatchObject({ online: true, kind: 'occupancy', model: 'OCC-REF', health: { latencyMs: 3, errors: { timeout: 0 } } });
    expect(fx.recorder.on(topic).some((m) => (m.body['points'] as Record<string, unknown>)['stillSeconds'] === 12 && (m.body['points'] as Record<string, unknown>)['people'] === 1)).toBe(false);
    bridge.deviceState('occ-1', deviceState({ people: 2, stillSeconds: 12 }, false));
    await fx.recorder.waitFor(topic, (m) => m.body['online'] === false);
  });

  it('relays events from the outbox in order and marks them delivered after the PUBACK', async () => {
    const { bridge, outbox } = makeBridge();
    for (let i = 0; i < 50; i++) outbox.append({ type: 'door.opened', device: 'lock-1', data: { n: i } });
    bridge.start();
    closers.push(() => bridge.stop());
    outbox.append({ type: 'door.closed', device: 'lock-1', data: { n: 50 } });
    await waitFor(() => fx.recorder.on('stations/st-test-1/events').length >= 51, 10_000, '51 events');
    const got = fx.recorder.on('stations/st-test-1/events');
    expect(got.map((m) => (m.body['data'] as { n: number }).n)).toEqual([...Array(51).keys()]);
    expect(got.every((m) => !m.retain)).toBe(true);
    await waitFor(() => outbox.pendingCount() === 0, 5000, 'outbox drained');
  });

  it('sends an appended event from the next turn of the loop, not from inside the append', async () => {
    const { bridge, outbox, client } = makeBridge();
    bridge.start();
    closers.push(() => bridge.stop());
    await waitFor(() => bridge.connected, 5000, 'bridge connected');
    await waitFor(() => outbox.pendingCount() === 0, 5000, 'nothing pending');
    const from = fx.recorder.messages.length;
    const published: string[] = [];
    const mqtt = client();
    const publish = mqtt.publish.bind(mqtt) as (...args: unknown[]) => unknown;
    mqtt.publish = ((...args: unknown[]) => {
      published.push(args[0] as string);
      return publish(...args);
    }) as typeof mqtt.publish;
    // The grant's append returns to open the door: its publish must not run before that.
    outbox.append({ type: 'access.granted', device: 'lock-1', data: { n: 1 } });
    outbox.append({ type: 'door.opened', device: 'lock-1', data: { n: 2 } });
    expect(published.filter((t) => t.endsWith('/events'))).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(published.filter((t) => t.endsWith('/events'))).toHaveLength(2);
    await fx.recorder.waitFor('stations/st-test-1/events', (m) => (m.body['data'] as { n: number }).n === 2, 10_000, from);
  });

  it('delivers an event appended just before a clean stop before it says offline', async () => {
    const { bridge, outbox } = makeBridge();
    const from = fx.recorder.messages.length;
    bridge.start();
    await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === true, 10_000, from);
    outbox.append({ type: 'door.closed', device: 'lock-1', data: { n: 7 } });
    await bridge.stop();
    const off = await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === false, 10_000, from);
    const seen = fx.recorder.messages.slice(from);
    const event = seen.findIndex((m) => m.topic === 'stations/st-test-1/events' && (m.body['data'] as { n: number }).n === 7);
    expect(event, 'the event, before the offline status').toBeGreaterThanOrEqual(0);
    expect(event).toBeLessThan(seen.indexOf(off));
    expect(outbox.pendingCount()).toBe(0);
  });

  it('says offline itself on a clean stop, where it stands in both statuses', async () => {
    const at = { lat: 30.2741, lon: 120.1634 };
    const { bridge } = makeBridge(at);
    bridge.start();
    const birth = await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === true);
    expect(birth.body['location']).toEqual(at);
    await bridge.stop();
    const off = await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === false);
    expect(off.body).toMatchObject({ online: false, bootId: 'boot-1', location: at });
  });

  it('leaves a Last Will that the broker publishes when the connection dies', async () => {
    const { bridge, client } = makeBridge();
    bridge.start();
    closers.push(() => bridge.stop());
    await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === true);
    // Cut the TCP connection without a DISCONNECT packet, as a crash or a lost link does.
    client().stream.destroy();
    const will = await fx.recorder.waitFor('stations/st-test-1/status', (m) => m.body['online'] === false);
    expect(will.body).toEqual({ online: false, bootId: 'boot-1' });
  });
});
