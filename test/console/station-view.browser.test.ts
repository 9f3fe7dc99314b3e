import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, demoStationCopy } from './console-site.js';

/*
 * The station view in headless Chromium against the demo station (its simulators and gateway as
 * their own processes) on an embedded broker: each device drawn as what it is in zh-CN and
 * English on a phone and a desktop, focus and a selection kept across a message, and the cards
 * of a station whose gateway was killed shown as last known, never online. Waits are on the page.
 */

const STATION = 'demo-hz-0001';
const SHOTS = join(packageRoot(), 'test-results', 'console');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

describe('station view in a browser', () => {
  const dir = tempDir('station-view-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let sim: RunningProcess;
  let gateway: RunningProcess;
  let chromium: HeadlessBrowser;
  let page: Page;
  let control: string;

  const url = (lang: string): string => consoleUrl(site.url, broker.wsUrl ?? '', 'stations', STATION).replace('#', `&lang=${lang}#`);
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const command = async (line: string): Promise<void> => {
    const [device, ...rest] = line.split(' ');
    const res = await fetch(`${control}/devices/${device}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: rest.join(' ') }) });
    expect(res.status).toBe(200);
  };
  const card = (id: string) => page.locator(`#station .device[data-device="${id}"]`);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(`${dir.path}/site`);
    const stationFile = await demoStationCopy(dir.path);
    sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', stationFile, '--seed', '1']);
    await sim.waitForOutput('ready', 20_000);
    control = /control: (http:\/\/\S+)/.exec(sim.output())?.[1] ?? '';
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', stationFile, '--cloud-url', broker.url]);
    chromium = await launchChromium();
    page = await chromium.newPage();
    await page.setViewportSize(DESKTOP);
  });

  afterAll(async () => {
    await chromium?.close();
    await gateway?.kill();
    await sim?.stop();
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  it('draws each device as what it is, in Chinese and in English, on a desktop and a phone', async () => {
    await page.goto(url('zh-CN'));
    await page.locator('#station .device[data-status="online"]').nth(4).waitFor({ timeout: 30_000 });
    await card('cabinet-1').locator('.slot[data-slot="8"]').waitFor({ timeout: 20_000 });
    const lock = (await card('lock-1').textContent()) ?? '';
    expect(lock).toContain('1 号门');
    expect(lock).toMatch(/门锁 (锁定|已解锁)/);
    expect(lock).toMatch(/门 (关|开)/);
    expect(await card('scanner-1').textContent()).toContain('最后一次扫码');
    expect(await card('cabinet-1').locator('.slot[data-slot="2"] .slot-state').textContent()).toMatch(/^(空|充电中|已充满|故障|停用)$/);
    expect(await card('water-1').locator('meter').count()).toBe(1);
    expect(await card('water-1').textContent()).toMatch(/水箱 \d+%/);
    expect(await card('occupancy-1').textContent()).toMatch(/站内/);
    // Station times in the station's zone, labelled; no raw dumps anywhere.
    expect(await page.locator('#station .meta').textContent()).toContain('Asia/Shanghai');
    const all = (await page.locator('#station').textContent()) ?? '';
    expect(all).not.toMatch(/[{}]|=locked|lastScanAt|\[object/);
    await shot('station-zh-desktop');
    await page.setViewportSize(PHONE);
    // Nothing runs off a phone's screen.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await shot('station-zh-phone');

    await page.setViewportSize(DESKTOP);
    await page.goto(url('en'));
    await page.locator('#station .device[data-status="online"]').nth(4).waitFor({ timeout: 30_000 });
    await card('cabinet-1').locator('.slot[data-slot="8"]').waitFor({ timeout: 20_000 });
    expect(await card('lock-1').textContent()).toMatch(/Door 1 .*bolt (locked|unlocked)/);
    expect(await card('water-1').textContent()).toMatch(/tank \d+%/);
    await shot('station-en-desktop');
    await page.setViewportSize(PHONE);
    await shot('station-en-phone');
    await page.setViewportSize(DESKTOP);
  });

  it('writes an alarm as sentences with its meaning and action, and marks its slot in words', async () => {
    await page.goto(url('zh-CN'));
    await card('cabinet-1').locator('.slot[data-slot="5"]').waitFor({ timeout: 30_000 });
    const cabinet = (await (await fetch(`${control}/devices/cabinet-1`)).json()) as { slots: Array<{ state: string }> };
    if (cabinet.slots[4]?.state === 'empty') await command('cabinet-1 slot 5 insert 50 48');
    await command('cabinet-1 slot 5 temperature 62');
    const alarm = page.locator('#station-alarms li[data-alarm="slot.overheat.5"]');
    await alarm.waitFor({ timeout: 20_000 });
    const text = (await alarm.textContent()) ?? '';
    expect(text).toContain('5 号仓过热');
    expect(text).toContain('紧急');
    expect(text).toMatch(/电池温度 6\d\.\d °C/);
    expect(text).toContain('不要打开该仓');
    expect(text).not.toMatch(/[{}"]/);
    expect(await card('cabinet-1').locator('.slot[data-slot="5"] .slot-alarm').textContent()).toContain('告警');
    await shot('station-zh-alarm');
    await page.setViewportSize(PHONE);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await shot('station-zh-alarm-phone');
    await page.setViewportSize(DESKTOP);
    await command('cabinet-1 slot 5 temperature 30');
    await alarm.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('keeps keyboard focus and a text selection across new messages', async () => {
    await page.goto(url('zh-CN'));
    await card('water-1').locator('.tank-line').waitFor({ timeout: 30_000 });
    await page.focus('#station a.back');
    // Select the lock card's heading: it does not change when the cabinet does.
    await page.evaluate(`(() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('#station .device[data-device="lock-1"] h4'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      window.markedCard = document.querySelector('#station .device[data-device="cabinet-1"]');
    })()`);
    const selection = (): Promise<string> => page.evaluate('getSelection().toString()');
    const selected = await selection();
    expect(selected).toContain('门锁');
    const before = await card('cabinet-1').locator('.slot[data-slot="3"]').textContent();
    await command('cabinet-1 slot 3 temperature 41.5');
    await expect.poll(() => card('cabinet-1').locator('.slot[data-slot="3"]').textContent(), { timeout: 20_000 }).not.toBe(before);
    expect(await card('cabinet-1').locator('.slot[data-slot="3"]').textContent()).toMatch(/4\d\.\d °C/);
    expect(await page.evaluate(`document.activeElement.matches('#station a.back')`)).toBe(true);
    expect(await selection()).toBe(selected);
    // The card itself was updated, not replaced.
    expect(await page.evaluate(`window.markedCard === document.querySelector('#station .device[data-device="cabinet-1"]')`)).toBe(true);
  });

  it('shows a device that stopped answering as offline with its last known values and age', async () => {
    await page.goto(url('zh-CN'));
    await card('water-1').locator('.tank-line').waitFor({ timeout: 30_000 });
    await command('water-1 fault silent on');
    const alarm = page.locator('#station-alarms li[data-alarm="device.offline"]');
    await alarm.waitFor({ timeout: 30_000 });
    expect(await alarm.textContent()).toMatch(/设备离线.*错误码 [A-Z_]+/);
    await page.locator('#station .device[data-device="water-1"][data-status="offline"]').waitFor({ timeout: 10_000 });
    expect(await card('water-1').locator('.device-status').textContent()).toBe('离线');
    expect(await card('water-1').locator('.last-known').textContent()).toMatch(/^最后已知 · .*前$/);
    expect(await card('water-1').textContent()).toMatch(/水箱 \d+%/);
    await shot('station-zh-device-offline');
    await command('water-1 fault clear');
    await page.locator('#station .device[data-device="water-1"][data-status="online"]').waitFor({ timeout: 30_000 });
    expect(await card('water-1').locator('.last-known').count()).toBe(0);
  });

  it('shows the cards of a station whose gateway died as last known with their age, never online', async () => {
    await page.goto(url('zh-CN'));
    await page.locator('#station .device[data-status="online"]').nth(4).waitFor({ timeout: 30_000 });
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await page.locator(`#station[data-station="${STATION}"][data-status="offline"]`).waitFor({ timeout: 20_000 });
    expect(await page.locator('#station .device[data-status="online"]').count()).toBe(0);
    expect(await page.locator('#station .device').count()).toBe(5);
    for (const d of await page.locator('#station .device').all()) {
      expect(await d.getAttribute('data-status')).toBe('stale');
      expect(await d.locator('.last-known').textContent()).toMatch(/^最后已知 · .*前$/);
      expect(await d.locator('.device-status').textContent()).toBe('最后已知');
    }
    const services = (await page.locator('#station-availability').textContent()) ?? '';
    expect(services).toContain('开放 未知（站点离线）');
    expect(services).not.toMatch(/开放 是/);
    expect(await page.locator('#station .offline-banner').textContent()).toContain('站点离线');
    await shot('station-zh-offline');
    await page.goto(url('en'));
    await page.locator(`#station[data-station="${STATION}"][data-status="offline"] .device`).nth(4).waitFor({ timeout: 20_000 });
    expect(await page.locator('#station-availability').textContent()).toContain('open unknown while offline');
    expect(await page.locator('#station .device .last-known').first().textContent()).toMatch(/^last known · .*ago$/);
    await shot('station-en-offline');
  });
});
