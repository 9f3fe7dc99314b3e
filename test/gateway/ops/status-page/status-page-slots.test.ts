import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../../../gateway/ops/health-monitor.js';
import { Liveness } from '../../../../gateway/ops/liveness.js';
import type { StationView } from '../../../../gateway/ops/station-view.js';
import { startStatusPage } from '../../../../gateway/ops/status-page/status-page-server.js';
import { silentLogger } from '../../../../gateway/runtime/logger.js';
import { CabinetSafety } from '../../../../gateway/station/cabinet-safety.js';
import { hasChromium, launchChromium, screenshot } from '../../../helpers/browser.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { startSimStation, type SimStation } from '../../station/sim-station.js';
import { useStationParts } from '../../station/station-harness.js';

/*
 * The status page's slot tiles against a simulated cabinet read by the gateway's own driver and
 * battery safety: a crew types `slot 5 ...` and must see tile 5 (slots[4]) lit, never tile 4 or 6.
 */

const PASSWORD = 'correct horse battery';
const AUTH = `Basic ${Buffer.from(`crew:${PASSWORD}`).toString('base64')}`;
const parts = useStationParts();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cabinetPage(): Promise<{ url: string; station: SimStation; alarms: ReturnType<typeof parts.open>['alarms'] }> {
  const p = parts.open();
  const station = await startSimStation([{ id: 'cabinet-1', kind: 'battery-cabinet', slots: 6 }]);
  cleanups.push(() => station.stop());
  const cabinet = station.device('cabinet-1');
  const capability = cabinet.driver.capability;
  if (capability?.kind !== 'battery-cabinet') throw new Error('the cabinet driver has no battery-cabinet capability');
  const safety = new CabinetSafety({ device: 'cabinet-1', cabinet: capability, alarms: p.alarms, settings: p.store.settings, log: silentLogger() });
  safety.start();
  cabinet.monitor.on('state', (s) => safety.update(capability.reading(s)));
  await station.startPolling();
  await waitFor(() => safety.current().slots.length === 6, 10_000, 'the cabinet read');
  const view: StationView = {
    stationId: 'page-st-0001',
    devices: [cabinet.monitor],
    timeoutMs: () => 1000,
    outboxPending: () => 0,
    oldestPendingAt: () => undefined,
    cloudConnected: () => false,
    alarms: () => p.alarms.active(),
    onEvent: () => () => undefined,
    onAlarms: (listener) => {
      p.alarms.on('changed', listener);
      return () => p.alarms.off('changed', listener);
    },
  };
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const passwordFile = join(dir.path, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  const health = new HealthMonitor(new Liveness({ devices: view.devices, timeoutMs: view.timeoutMs, loopLagMs: () => 0 }), 60_000);
  const page = await startStatusPage({ listen: '127.0.0.1:0', user: 'crew', passwordFile, view, health, log: silentLogger(), pushEveryMs: 200 });
  cleanups.push(() => page.close());
  return { url: page.url, station, alarms: p.alarms };
}

describe('status page slot numbers', () => {
  it('the snapshot carries each slot\'s door number', async () => {
    const { url } = await cabinetPage();
    const res = await fetch(`${url}/api/status`, { headers: { authorization: AUTH } });
    const body = (await res.json()) as { devices: Array<{ id: string; points: { slots: Array<{ slot: number }> } }> };
    expect(body.devices[0]?.points.slots.map((s) => s.slot)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.skipIf(!hasChromium())('`slot 5 temperature 62` lights tile 5, labelled "slot 5", with slot.overheat.5', async () => {
    const { url, station, alarms } = await cabinetPage();
    const slots = (): Array<{ state: string }> => station.simState<{ slots: Array<{ state: string }> }>('cabinet-1').slots;
    if (slots()[4]?.state === 'empty') await station.sim.command('cabinet-1 slot 5 insert 50 48');
    await station.sim.command('cabinet-1 slot 5 temperature 62');
    await waitFor(() => alarms.active().some((a) => a.alarm === 'slot.overheat.5'), 10_000, 'slot.overheat.5');
    const browser = await launchChromium();
    try {
      await browser.context.setExtraHTTPHeaders({ authorization: AUTH });
      const page = await browser.newPage();
      await page.goto(`${url}/`);
      const lit = page.locator('[data-cabinet="cabinet-1"] .slot.alarm');
      await lit.first().waitFor({ timeout: 15_000 });
      expect(await lit.count()).toBe(1);
      expect(await lit.getAttribute('data-slot')).toBe('5');
      expect(await lit.locator('b').textContent()).toBe('slot 5');
      const tiles = page.locator('[data-cabinet="cabinet-1"] .slot');
      expect(await tiles.first().locator('b').textContent()).toBe('slot 1');
      expect(await tiles.nth(4).getAttribute('data-slot')).toBe('5');
      await page.locator('#alarms tr', { hasText: 'slot.overheat.5' }).waitFor({ timeout: 5_000 });
      await screenshot(page, 'status-page-slot-alarm');
    } finally {
      await browser.close();
    }
  });
});
