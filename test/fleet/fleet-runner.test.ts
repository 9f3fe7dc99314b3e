import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { FleetRunner } from '../../fleet/fleet-runner.js';
import { assertContract, schemaForTopic } from '../cloud-bridge/contract-validator.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { waitFor } from '../helpers/wait-for.js';

describe('the fleet plan', () => {
  it('is the same fleet when split into slices (station-fleet simulate --processes)', () => {
    const whole = planFleet({ stations: 40, faultyPercent: 30, seed: 7 });
    const split = [...planFleet({ stations: 25, faultyPercent: 30, seed: 7 }), ...planFleet({ stations: 15, faultyPercent: 30, seed: 7, offset: 25 })];
    expect(split).toEqual(whole);
    expect(whole[0]?.id).toBe('fleet-00001');
    const faulty = whole.filter((p) => p.fault).length;
    expect(faulty).toBeGreaterThan(4);
    expect(faulty).toBeLessThan(24);
    expect(planFleet({ stations: 40, faultyPercent: 0, seed: 7 }).some((p) => p.fault)).toBe(false);
  });

  it('spreads the stations over a city around Hangzhou, each at its own place', () => {
    const plans = planFleet({ stations: 400, faultyPercent: 10, seed: 7 });
    // Kilometres from West Lake, flat-earth: good to a metre at this scale.
    const km = ({ lat, lon }: { lat: number; lon: number }) => Math.hypot((lat - 30.2592) * 111.2, (lon - 120.1653) * 111.2 * Math.cos((30.2592 * Math.PI) / 180));
    const distances = plans.map((p) => km(p.location));
    expect(Math.max(...distances)).toBeLessThanOrEqual(25.1);
    expect(Math.max(...distances)).toBeGreaterThan(20);
    expect(Math.min(...distances)).toBeLessThan(3);
    expect(new Set(plans.map((p) => `${p.location.lat},${p.location.lon}`)).size).toBe(plans.length);
    // All four quarters of the city have stations.
    const quarters = new Set(plans.map((p) => `${p.location.lat > 30.2592}${p.location.lon > 120.1653}`));
    expect(quarters.size).toBe(4);
    expect(planFleet({ stations: 3, faultyPercent: 10, seed: 8 }).map((p) => p.location)).not.toEqual(plans.slice(0, 3).map((p) => p.location));
  });
});

describe('station-fleet simulate on a broker', () => {
  let broker: EmbeddedBroker;
  let runner: FleetRunner;
  let recorder: MqttRecorder;
  const STATIONS = 24;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    recorder = await MqttRecorder.connect(broker.url);
    runner = new FleetRunner({ broker: broker.url, stations: STATIONS, faultyPercent: 60, seed: 3, connectRate: 200, tickSeconds: 1 });
    runner.start();
  });

  afterAll(async () => {
    await runner.stop();
    await recorder.close();
    await broker.close();
  });

  it('publishes the contract for every station through the gateway\'s bridge, with the planned faults visible', async () => {
    const plans = planFleet({ stations: STATIONS, faultyPercent: 60, seed: 3 });
    const byFault = (f: string) => plans.filter((p) => p.fault === f).map((p) => p.id);
    expect(new Set(plans.map((p) => p.fault).filter(Boolean)).size).toBe(4);
    const last = (topic: string) => recorder.on(topic).at(-1)?.body;
    await waitFor(() => plans.every((p) => last(`stations/${p.id}/availability`) && last(`stations/${p.id}/devices/cabinet-1`)), 20_000, 'every station published');
    // Offline stations connect, publish, then vanish without DISCONNECT: the broker sends their will.
    for (const p of plans.filter((x) => x.fault === 'offline')) {
      const will = await recorder.waitFor(`stations/${p.id}/status`, (m) => m.body['online'] === false && m.body['ts'] === undefined, 15_000);
      // The Will says where the dead station stands: it is all a console opened later will see.
      expect(will.body['location']).toEqual(p.location);
    }
    for (const id of byFault('critical')) {
      const alarms = last(`stations/${id}/alarms`)?.['alarms'] as Array<{ alarm: string; severity: string }>;
      expect(alarms).toContainEqual(expect.objectContaining({ alarm: 'cabinet.smoke', severity: 'critical' }));
      expect(last(`stations/${id}/availability`)).toMatchObject({ open: false, services: { doors: { usable: false, reason: 'smoke' } } });
    }
    for (const id of byFault('hot')) {
      const alarms = last(`stations/${id}/alarms`)?.["alarms"] as Array<{ alarm: string; severity: string }>;
      expect(alarms.some((a) => /^slot\.overheat\.\d+$/.test(a.alarm) && a.severity === 'critical')).toBe(true);
    }
    for (const id of byFault('no-batteries')) {
      const ready = (last(`stations/${id}/availability`)?.['services'] as { batteries: { ready: Record<string, number> } }).batteries.ready;
      expect(Object.values(ready).reduce((a, b) => a + b, 0)).toBe(0);
    }
    const healthy = plans.filter((p) => !p.fault).map((p) => p.id);
    for (const id of healthy) expect(last(`stations/${id}/status`)?.['online']).toBe(true);
    // Each birth says where its station stands, from the station config the bridge was given.
    for (const p of plans) {
      const birth = recorder.on(`stations/${p.id}/status`).find((m) => m.body['online'] === true);
      expect(birth?.body['location'], p.id).toEqual(p.location);
    }
    expect(healthy.length).toBeGreaterThan(0);
    // Every payload, events included, is what the committed JSON Schemas allow.
    for (const m of recorder.messages) {
      const schema = schemaForTopic(m.topic, m.body);
      if (schema) assertContract(schema, m.body);
    }
    expect(recorder.messages.some((m) => m.topic.endsWith('/events'))).toBe(true);
    expect(runner.status()).toMatchObject({ stations: STATIONS, started: STATIONS, crashed: byFault('offline').length });
  });
});
