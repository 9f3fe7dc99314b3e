import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { FleetRunner } from '../../simulators/fleet/fleet-runner.js';
import { launchChromium, screenshot, type HeadlessBrowser } from '../helpers/browser.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, demoStationCopy } from './console-site.js';

/*
 * The operator console in headless Chromium against the demo station (its simulators and the
 * gateway as their own processes, as `npm start` runs them) and a small simulated fleet, on an
 * embedded broker with a WebSocket listener. Waits are on what the page shows, never on time.
 */

const STATION = 'demo-hz-0001';
const FLEET = 20;

describe('operator console in a browser', () => {
  const dir = tempDir('console-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let sim: RunningProcess;
  let gateway: RunningProcess;
  let fleet: FleetRunner;
  let chromium: HeadlessBrowser;
  let page: Page;
  let control: string;

  beforeAll(async () => {
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(`${dir.path}/site`);
    const stationFile = await demoStationCopy(dir.path);
    sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', stationFile, '--seed', '1']);
    await sim.waitForOutput('ready', 20_000);
    control = /control: (http:\/\/\S+)/.exec(sim.output())?.[1] ?? '';
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', stationFile, '--cloud-url', broker.url]);
    fleet = new FleetRunner({ broker: broker.url, stations: FLEET, faultyPercent: 50, seed: 5, tickSeconds: 2 });
    fleet.start();
    chromium = await launchChromium();
    page = await chromium.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  afterAll(async () => {
    await chromium?.close();
    await gateway?.kill();
    await sim?.kill();
    await fleet?.stop();
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  /** `data-<name>` of every station row in the DOM now. */
  const attributes = async (name: string): Promise<Array<string | null>> =>
    Promise.all((await page.locator('.vlist .vrow:not([hidden])').all()).map((row) => row.getAttribute(`data-${name}`)));

  const command = async (line: string): Promise<void> => {
    const [device, ...rest] = line.split(' ');
    const res = await fetch(`${control}/devices/${device}/commands`, { method: 'POST', body: JSON.stringify({ command: rest.join(' ') }) });
    expect(res.status).toBe(200);
  };

  it('shows the demo station and the fleet, with working filters', async () => {
    await page.goto(consoleUrl(site.url, broker.wsUrl ?? ''));
    await page.locator(`.vrow[data-station="${STATION}"][data-status="online"]`).waitFor({ timeout: 20_000 });
    await page.locator(`#fleet-counts[data-total="${FLEET + 1}"]`).waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-fleet');
    await page.click('button[data-filter="critical"]');
    await page.locator('button[data-filter="critical"][aria-pressed="true"]').waitFor();
    const severities = await attributes('severity');
    expect(severities.length).toBeGreaterThan(0);
    expect(new Set(severities)).toEqual(new Set(['critical']));
    await page.fill('#fleet-search', STATION);
    await page.click('button[data-filter="all"]');
    await page.locator('.vlist .vrow:not([hidden])').first().waitFor();
    await expect.poll(() => attributes('station')).toEqual([STATION]);
    await page.click(`.vrow[data-station="${STATION}"]`);
    await page.locator('#station .device[data-device="cabinet-1"] .slot').first().waitFor({ timeout: 20_000 });
    await page.locator('#station .device[data-status="online"]').nth(4).waitFor({ timeout: 20_000 });
    await screenshot(page, 'console-station');
  });

  it('shows a fault injected into a simulator as an alarm within seconds', async () => {
    await page.goto(consoleUrl(site.url, broker.wsUrl ?? '', 'stations', STATION));
    await page.locator('#station .device[data-device="cabinet-1"][data-status="online"]').waitFor({ timeout: 15_000 });
    await command('cabinet-1 fault silent on');
    // offlineAfter (3) failed polls at pollMs 1000 with timeoutMs 500: a few seconds.
    await page.locator('#station-alarms li[data-alarm="device.offline"]').waitFor({ timeout: 20_000 });
    await page.locator('#station .device[data-device="cabinet-1"][data-status="offline"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('#station-events').textContent()).toContain('alarm.raised');
    await screenshot(page, 'console-alarm');
    await command('cabinet-1 fault clear');
    await page.locator('#station .device[data-device="cabinet-1"][data-status="online"]').waitFor({ timeout: 15_000 });
  });

  it('shows a station whose gateway died as offline (its Last Will)', async () => {
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await page.locator(`#station[data-station="${STATION}"][data-status="offline"]`).waitFor({ timeout: 15_000 });
    await page.click('a.back');
    await page.fill('#fleet-search', '');
    await page.click('button[data-filter="offline"]');
    await page.locator(`.vrow[data-station="${STATION}"][data-status="offline"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'console-offline');
  });
});
