import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../cloud-bridge/embedded-broker.js';
import { loadStationConfig } from '../../../config/load-station-config.js';
import { silentLogger } from '../../../gateway/runtime/logger.js';
import { StationRuntime } from '../../../gateway/runtime/station-runtime.js';
import { startStationSimulator, type StationSimulator } from '../../../simulators/station-simulator.js';
import { hasChromium, launchChromium, screenshot } from '../../helpers/browser.js';
import { freePort } from '../../helpers/free-port.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { waitFor } from '../../helpers/wait-for.js';

/*
 * A demo-like station in this process (simulated devices, the embedded broker, the runtime) with
 * metrics, /healthz and the status page switched on; the page is driven in headless Chromium.
 */

const PASSWORD = 'correct horse battery';
const AUTH = `Basic ${Buffer.from(`crew:${PASSWORD}`).toString('base64')}`;
let dir: ReturnType<typeof tempDir>;
let broker: EmbeddedBroker;
let sim: StationSimulator;
let runtime: StationRuntime;
let metricsUrl: string;
let pageUrl: string;

beforeAll(async () => {
  dir = tempDir();
  broker = await startEmbeddedBroker({ port: 0 });
  const [cabinetPort, busPort, metricsPort, pagePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  pageUrl = `http://127.0.0.1:${pagePort}`;
  writeFileSync(join(dir.path, 'status-password'), `${PASSWORD}\n`);
  const file = join(dir.path, 'station.yaml');
  writeFileSync(
    file,
    `
station: { id: ops-st-0001 }
cloud: { url: ${broker.url}, protocolVersion: 4 }
storage: { path: data/gateway.db }
metrics: { listen: '127.0.0.1:${metricsPort}' }
statusPage: { listen: '127.0.0.1:${pagePort}', passwordFile: status-password }
devices:
  - { id: lock-1, kind: door-lock, transport: { type: serial, path: tty/lock-1 }, pollMs: 500 }
  - { id: cabinet-1, kind: battery-cabinet, profile: cabinet-ref, transport: { type: modbus-tcp, host: 127.0.0.1, port: ${cabinetPort}, unitId: 1 }, pollMs: 500 }
  - { id: water-1, kind: water-dispenser, profile: dispenser-ref, transport: { type: modbus-rtu-over-tcp, host: 127.0.0.1, port: ${busPort}, unitId: 2 }, pollMs: 500 }
`,
  );
  const station = loadStationConfig(file);
  sim = await startStationSimulator(station, { seed: 3 });
  runtime = new StationRuntime({ station, log: silentLogger(), version: 'test' });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await sim?.stop();
  await broker?.close();
  dir?.remove();
});

async function metricsText(): Promise<string> {
  const res = await fetch(`${metricsUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series, by name and exact label texts (`device="cabinet-1"`), or undefined. */
function series(text: string, name: string, ...labels: string[]): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('metrics and health', () => {
  it('exports per-device polls, latency and online state, the outbox, events, MQTT, alarms, memory and loop lag', async () => {
    const text = await waitFor(async () => {
      const t = await metricsText();
      const online = ['lock-1', 'cabinet-1', 'water-1'].every((id) => series(t, 'station_device_online', `device="${id}"`) === 1);
      return online && series(t, 'station_mqtt_connected') === 1 && t;
    }, 20_000, 'devices online and MQTT connected in /metrics');
    expect(text).toContain('station="ops-st-0001"');
    for (const id of ['lock-1', 'cabinet-1', 'water-1']) {
      expect(series(text, 'station_device_polls_total', `device="${id}"`)).toBeGreaterThan(0);
      expect(series(text, 'station_device_latency_seconds', `device="${id}"`)).toBeGreaterThan(0);
    }
    expect(series(text, 'station_events_total', 'type="gateway.started"')).toBe(1);
    expect(series(text, 'station_events_total', 'type="device.online"')).toBe(3);
    expect(series(text, 'station_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(series(text, 'station_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(series(text, 'station_alarms_active', 'severity="critical"')).toBe(0);
    expect(series(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{/m);
    expect(text).toMatch(/^# TYPE station_device_errors_total counter$/m);
    expect(series(text, 'station_healthy')).toBe(1);
  });

  it('answers /healthz 200 while the loops are alive', async () => {
    const res = await fetch(`${metricsUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('counts a silent device\'s errors by code', async () => {
    await sim.command('water-1 fault silent on');
    try {
      const text = await waitFor(async () => {
        const t = await metricsText();
        return series(t, 'station_device_online', 'device="water-1"') === 0 && t;
      }, 20_000, 'water-1 offline in /metrics');
      // Polls the bus skips while it backs the device off fail without a code: at least one timed out.
      expect(series(text, 'station_device_errors_total', 'device="water-1"', 'code="TIMEOUT"')).toBeGreaterThanOrEqual(1);
      expect(series(text, 'station_alarms_active', 'severity="major"')).toBe(1);
    } finally {
      await sim.command('water-1 fault clear');
    }
    await waitFor(async () => series(await metricsText(), 'station_device_online', 'device="water-1"') === 1, 20_000, 'water-1 back online');
  });
});

describe('status page', () => {
  it('refuses requests without the right password', async () => {
    expect((await fetch(`${pageUrl}/`)).status).toBe(401);
    const wrong = `Basic ${Buffer.from('crew:wrong password').toString('base64')}`;
    expect((await fetch(`${pageUrl}/api/status`, { headers: { authorization: wrong } })).status).toBe(401);
    const res = await fetch(`${pageUrl}/api/status`, { headers: { authorization: AUTH } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { station: string; devices: Array<{ id: string }> };
    expect(body.station).toBe('ops-st-0001');
    expect(body.devices.map((d) => d.id)).toEqual(['lock-1', 'cabinet-1', 'water-1']);
  });

  it.skipIf(!hasChromium())('shows devices, slots and alarms in Chromium and follows changes live', async () => {
    const browser = await launchChromium();
    try {
      await browser.context.setExtraHTTPHeaders({ authorization: AUTH });
      const page = await browser.newPage();
      await page.goto(`${pageUrl}/`);
      await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 15_000 });
      await page.locator('#devices tr[data-device="cabinet-1"]', { hasText: 'online' }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#devices tbody tr').count()).toBe(3);
      expect(await page.locator('[data-cabinet="cabinet-1"] .slot').count()).toBe(8);
      expect(await page.locator('[data-cabinet="cabinet-1"] .slot .charge').first().textContent()).toMatch(/^\d+ % · [\d.]+ °C$/);
      expect(await page.locator('#events tbody tr').count()).toBeGreaterThan(0);

      // No reload: the offline device and its alarm arrive over the event stream.
      await sim.command('lock-1 fault silent on');
      try {
        await page.locator('#alarms tr', { hasText: 'device.offline' }).waitFor({ timeout: 20_000 });
        await page.locator('#devices tr[data-device="lock-1"]', { hasText: 'offline' }).waitFor({ timeout: 5_000 });
        const shot = await screenshot(page, 'status-page');
        expect(shot).toMatch(/test-results\/status-page\.png$/);
      } finally {
        await sim.command('lock-1 fault clear');
      }
    } finally {
      await browser.close();
    }
  });
});
