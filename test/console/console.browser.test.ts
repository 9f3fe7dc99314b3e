import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { boundsOf, fitProjection, MAP_FIT } from '../../console/src/geo-fit.js';
import { loadStationConfig } from '../../config/load-station-config.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { FleetRunner } from '../../fleet/fleet-runner.js';
import { launchChromium, screenshot, type HeadlessBrowser } from '../helpers/browser.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, demoStationCopy, inLanguage } from './console-site.js';

/*
 * The operator console in headless Chromium against the demo station (its simulators and the
 * gateway as their own processes, as `npm start` runs them) and a small simulated fleet, on an
 * embedded broker with a WebSocket listener. Waits are on what the page shows, never on time.
 * In English (`?lang=en`): the console follows the browser's language otherwise.
 */

const STATION = 'demo-hz-0001';
const FLEET = 20;
const FLEET_PLAN = { stations: FLEET, faultyPercent: 50, seed: 5 };

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
  let stationFile: string;

  beforeAll(async () => {
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(`${dir.path}/site`);
    stationFile = await demoStationCopy(dir.path);
    sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', stationFile, '--seed', '1']);
    await sim.waitForOutput('ready', 20_000);
    control = /control: (http:\/\/\S+)/.exec(sim.output())?.[1] ?? '';
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', stationFile, '--cloud-url', broker.url]);
    // The first test then waits for the console, not for a gateway starting on a loaded machine.
    await gateway.waitForOutput('station running', 30_000);
    fleet = new FleetRunner({ broker: broker.url, ...FLEET_PLAN, tickSeconds: 2 });
    fleet.start();
    chromium = await launchChromium();
    page = await chromium.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  afterAll(async () => {
    await chromium?.close();
    await gateway?.kill();
    await sim?.stop();
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
    const res = await fetch(`${control}/devices/${device}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: rest.join(' ') }) });
    expect(res.status).toBe(200);
  };

  it('shows the demo station and the fleet, with working filters', async () => {
    await page.goto(inLanguage('en', consoleUrl(site.url, broker.wsUrl ?? '')));
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
  }, 60_000);

  it('shows a fault injected into a simulator as an alarm within seconds', async () => {
    await page.goto(inLanguage('en', consoleUrl(site.url, broker.wsUrl ?? '', 'stations', STATION)));
    await page.locator('#station .device[data-device="cabinet-1"][data-status="online"]').waitFor({ timeout: 15_000 });
    await command('cabinet-1 fault silent on');
    // offlineAfter (3) failed polls at pollMs 1000 with timeoutMs 500: a few seconds.
    await page.locator('#station-alarms li[data-alarm="device.offline"]').waitFor({ timeout: 20_000 });
    await page.locator('#station .device[data-device="cabinet-1"][data-status="offline"]').waitFor({ timeout: 5_000 });
    // The event is drawn by its catalogue name, keyed by its type.
    await page.locator('#station-events li[data-type="alarm.raised"]').first().waitFor({ timeout: 5_000 });
    await screenshot(page, 'console-alarm');
    await command('cabinet-1 fault clear');
    await page.locator('#station .device[data-device="cabinet-1"][data-status="online"]').waitFor({ timeout: 15_000 });
  });

  it('numbers slots by door: `slot 5` typed into the simulator lights tile 5 with slot.overheat.5', async () => {
    await page.goto(inLanguage('en', consoleUrl(site.url, broker.wsUrl ?? '', 'stations', STATION)));
    const tiles = page.locator('#station .device[data-device="cabinet-1"] .slot');
    await tiles.first().waitFor({ timeout: 20_000 });
    const cabinet = (await (await fetch(`${control}/devices/cabinet-1`)).json()) as { slots: Array<{ state: string }> };
    if (cabinet.slots[4]?.state === 'empty') await command('cabinet-1 slot 5 insert 50 48');
    await command('cabinet-1 slot 5 temperature 62');
    await page.locator('#station-alarms li[data-alarm="slot.overheat.5"]').waitFor({ timeout: 20_000 });
    const lit = page.locator('#station .device[data-device="cabinet-1"] .slot.alarm');
    await lit.first().waitFor({ timeout: 5_000 });
    expect(await lit.count()).toBe(1);
    expect(await lit.getAttribute('data-slot')).toBe('5');
    expect(await lit.locator('b').textContent()).toBe('5');
    // Tiles run from door 1, and the lit one is the fifth: slots[4].
    expect(await tiles.first().locator('b').textContent()).toBe('1');
    expect(await tiles.nth(4).getAttribute('data-slot')).toBe('5');
    await screenshot(page, 'console-slot-alarm');
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
  it('plots every station where it stands, the demo station at its configured place, and lists those with no position', async () => {
    // A station whose file names no position sends the birth it always did.
    const bare = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const birth = { online: true, ts: new Date().toISOString(), version: '0.1.0', bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', devices: [] };
    await bare.publishAsync('stations/no-position-1/status', JSON.stringify(birth), { qos: 1, retain: true });
    await bare.endAsync();
    // A fresh page: the demo station's gateway died in the test above, so all this page gets of it
    // is its retained Last Will, which must still say where it stands.
    await page.goto(inLanguage('en', consoleUrl(site.url, broker.wsUrl ?? '')));
    await page.click('#nav-map');
    await page.locator(`#map-counts[data-placed="${FLEET + 1}"][data-unplaced="1"]`).waitFor({ timeout: 20_000 });
    const demoAt = loadStationConfig(stationFile, { checkFiles: false }).config.station.location;
    if (!demoAt) throw new Error('the demo station file has no location');
    const bounds = boundsOf([demoAt, ...planFleet(FLEET_PLAN).map((p) => p.location)]);
    if (!bounds) throw new Error('no positions');
    const fit = fitProjection(bounds, MAP_FIT);
    const expected = fit.project(demoAt);
    const dot = page.locator(`#map-plot circle[data-station="${STATION}"]`);
    expect(await page.locator('#map-plot').getAttribute('viewBox')).toBe(`0 0 ${MAP_FIT.width} ${fit.height.toFixed(1)}`);
    expect(Number(await dot.getAttribute('cx'))).toBeCloseTo(expected.x, 0);
    expect(Number(await dot.getAttribute('cy'))).toBeCloseTo(expected.y, 0);
    expect(await dot.getAttribute('data-state')).toBe('offline');
    expect(await dot.locator('title').textContent()).toMatch(new RegExp(`^${STATION}\\b.*offline`));
    const fleetStates = new Set(await Promise.all((await page.locator('#map-plot circle[data-station^="fleet-"]').all()).map((c) => c.getAttribute('data-state'))));
    expect(fleetStates).toEqual(new Set(['ok', 'critical', 'offline']));
    await page.locator('#map-unplaced li[data-station="no-position-1"] a').waitFor();
    await screenshot(page, 'console-map');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'console-map-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await dot.click();
    await page.locator(`#station[data-station="${STATION}"]`).waitFor({ timeout: 10_000 });
  });
});
