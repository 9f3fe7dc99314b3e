import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { packageRoot } from '../../config/package-root.js';
import { planFleet } from '../../fleet/fleet-plan.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { loadRetained, retainedFleet } from '../bench/retained-fleet-loader.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole } from './console-site.js';

/*
 * The fleet list and the map in headless Chromium, in Chinese and in English, against a synthetic
 * fleet published retained to an embedded broker (the bench's loader, with each station's position
 * added to its status so the map has them too), plus three stations made for the cases: one
 * offline after saying it was open, one with an alarm name longer than a phone is wide.
 */

const STATIONS = 300;
const SEED = 3;
const OFFLINE = 'zz-offline-1';
const LONG = 'zz-long-alarm-1';
const LONG_ALARM = 'vendor.cabinet-controller-reported-an-unexpected-condition-on-its-internal-bus.7';
const SHOTS = join(packageRoot(), 'test-results', 'console');
const BOOT = '01JR8Y3M2Q4K5N6P7R8S9T0V1W';

function fleetMessages(): Array<[string, string]> {
  const at = new Map(planFleet({ stations: STATIONS, faultyPercent: 10, seed: SEED }).map((p) => [p.id, p.location]));
  const out = retainedFleet(STATIONS, SEED).map(([topic, payload]): [string, string] => {
    const id = /^stations\/([^/]+)\/status$/.exec(topic)?.[1];
    const location = id ? at.get(id) : undefined;
    return location ? [topic, JSON.stringify({ ...JSON.parse(payload), location })] : [topic, payload];
  });
  const ts = new Date(Date.now() - 3 * 60_000).toISOString();
  // Open with batteries when last heard, three minutes ago; then its Last Will.
  out.push([`stations/${OFFLINE}/availability`, JSON.stringify({ ts, open: true, services: { batteries: { ready: { '48V': 4 } } } })]);
  out.push([`stations/${OFFLINE}/status`, JSON.stringify({ online: false, bootId: BOOT })]);
  const now = new Date().toISOString();
  out.push([`stations/${LONG}/status`, JSON.stringify({ online: true, ts: now, version: '0.1.0', bootId: BOOT, devices: [] })]);
  out.push([`stations/${LONG}/alarms`, JSON.stringify({ ts: now, alarms: [{ alarm: LONG_ALARM, severity: 'critical', since: now }] })]);
  return out;
}
const TOTAL = STATIONS + 2;

describe('fleet list and map in a browser', () => {
  const dir = tempDir('fleet-list-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let chromium: HeadlessBrowser;
  let page: Page;

  beforeAll(async () => {
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    await loadRetained(broker.url, fleetMessages());
    site = await serveStatic(`${dir.path}/site`);
    chromium = await launchChromium();
    page = await chromium.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`) });
  };

  const open = async (lang: 'zh-CN' | 'en', width = 1280, height = 900): Promise<void> => {
    await page.setViewportSize({ width, height });
    const [base, hash] = consoleUrl(site.url, broker.wsUrl ?? '').split('#');
    await page.goto(`${base}&lang=${lang}${hash ? `#${hash}` : ''}`);
    await page.locator(`#fleet-counts[data-total="${TOTAL}"]`).waitFor({ timeout: 30_000 });
  };

  const visibleRows = async (): Promise<string[]> =>
    page.evaluate<string[]>(`[...document.querySelectorAll('.vlist:not([hidden]) .vrow:not([hidden])')].map((r) => r.dataset.station ?? '')`);

  const search = async (text: string): Promise<void> => {
    await page.fill('#fleet-search', text);
  };

  for (const lang of ['zh-CN', 'en'] as const) {
    it(`${lang}: a search after scrolling to the end shows its rows, not a blank list`, async () => {
      await open(lang);
      await page.locator('.vlist').evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      // The last ten synthetic stations (fleet-00290 … fleet-00299 for 300) are on screen.
      const lastTen = `fleet-${String(STATIONS - 1).padStart(5, '0').slice(0, 4)}`;
      await expect.poll(async () => (await visibleRows()).some((id) => id.startsWith(lastTen)), { timeout: 10_000 }).toBe(true);
      // fleet-00010 … fleet-00019: ten stations, far above where the list was scrolled.
      await search('fleet-0001');
      await page.locator('#fleet-counts[data-shown="10"]').waitFor({ timeout: 10_000 });
      await expect.poll(visibleRows, { timeout: 10_000 }).toEqual(Array.from({ length: 10 }, (_, i) => `fleet-000${10 + i}`));
      expect(await page.locator('#fleet-counts').textContent()).toContain(lang === 'zh-CN' ? '当前显示 10' : 'showing 10');
      await shot(`fleet-search-after-scroll-${lang}`);
    });

    it(`${lang}: an empty search says that nothing matches, with the query`, async () => {
      await open(lang);
      await search('no-such-station-x');
      await page.locator('#fleet-counts[data-shown="0"]').waitFor({ timeout: 10_000 });
      const empty = page.locator('#fleet-empty');
      await empty.waitFor({ state: 'visible', timeout: 5_000 });
      const text = await empty.textContent();
      expect(text).toContain(lang === 'zh-CN' ? '没有匹配的站点' : 'No station matches');
      expect(text).toContain('no-such-station-x');
      await shot(`fleet-empty-search-${lang}`);
      await search('');
      await empty.waitFor({ state: 'hidden', timeout: 10_000 });
    });

    it(`${lang}: an offline station shows as offline with its age, never green or "open"`, async () => {
      await open(lang);
      await search(OFFLINE);
      const row = page.locator(`.vrow[data-station="${OFFLINE}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.getAttribute('data-status')).toBe('offline');
      // Its Last Will (no time) comes before its availability (three minutes old): until that is
      // applied the row rightly says "last heard —"; then it gives the age.
      const heard = lang === 'zh-CN' ? /离线 · 最后上报 \d+\s?分钟前/ : /offline · last heard \d+ min\.? ago/;
      await expect.poll(async () => (await row.locator('.status-text').textContent()) ?? '', { timeout: 10_000 }).toMatch(heard);
      expect(await row.locator('.dot').textContent()).toBe('○');
      const avail = row.locator('.avail');
      expect(await avail.getAttribute('class')).toContain('stale');
      expect(await avail.textContent()).toBe(lang === 'zh-CN' ? '离线前：营业中 · 可换电池 4 块' : 'before going offline: open · 4 ready');
      // An online row says so in words too (not colour alone), and a critical alarm has its shape.
      await search(LONG);
      const live = page.locator(`.vrow[data-station="${LONG}"]`);
      await live.waitFor({ timeout: 10_000 });
      expect(await live.locator('.status-text').textContent()).toBe(lang === 'zh-CN' ? '在线' : 'online');
      expect(await live.locator('.sev-icon').textContent()).toBe('▲');
      expect(await live.locator('.alarm').textContent()).toContain(lang === 'zh-CN' ? '紧急' : 'Critical');
    });

    it(`${lang}: rows open with Enter and Space, arrows move and scroll, and the focus is visible`, async () => {
      await open(lang);
      // The keyboard path: from the search box, Tab until a row has the focus (sort, four filters, then the list).
      await page.focus('#fleet-search');
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate<boolean>(`document.activeElement?.classList.contains('srow') === true`)) break;
      }
      const focused = (): Promise<{ index: string; station: string; outline: string; width: string; inView: boolean }> =>
        page.evaluate<{ index: string; station: string; outline: string; width: string; inView: boolean }>(`(() => {
          const el = document.activeElement;
          const s = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          const l = document.querySelector('.vlist').getBoundingClientRect();
          return { index: el.dataset.index ?? '', station: el.dataset.station ?? '', outline: s.outlineStyle, width: s.outlineWidth, inView: r.top >= l.top - 1 && r.bottom <= l.bottom + 1 };
        })()`);
      const first = await focused();
      expect(first.index).toBe('0');
      expect(first.outline).not.toBe('none');
      expect(Number.parseFloat(first.width)).toBeGreaterThanOrEqual(2);
      await shot(`fleet-focus-${lang}`);
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
      const third = await focused();
      expect(third.index).toBe('3');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate<string>('location.hash'), { timeout: 5_000 }).toBe(`#/station/${encodeURIComponent(third.station)}`);
      await page.goBack();
      await page.locator('#fleet .vrow[data-index="0"]').waitFor({ timeout: 10_000 });
      await page.focus('#fleet .vrow[tabindex="0"]');
      // End: the last row, far below, is scrolled into view and focused.
      await page.keyboard.press('End');
      const last = await focused();
      expect(last.index).toBe(String(TOTAL - 1));
      expect(last.inView).toBe(true);
      await page.keyboard.press('ArrowUp');
      const before = await focused();
      expect(before.index).toBe(String(TOTAL - 2));
      await page.keyboard.press(' ');
      await expect.poll(() => page.evaluate<string>('location.hash'), { timeout: 5_000 }).toBe(`#/station/${encodeURIComponent(before.station)}`);
    });

    it(`${lang}: map dots are reached by Tab, moved between with arrows, opened with Enter, and say their state in words`, async () => {
      await open(lang);
      await page.click('#nav-map');
      await page.locator(`#map-counts[data-placed="${STATIONS}"]`).waitFor({ timeout: 30_000 });
      await page.focus('#nav-map');
      for (let i = 0; i < 10; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate<boolean>(`document.activeElement?.closest('#map-plot') != null`)) break;
      }
      const dot = (): Promise<{ station: string; outline: string; label: string }> =>
        page.evaluate<{ station: string; outline: string; label: string }>(`(() => {
          const el = document.activeElement;
          return { station: el.getAttribute('data-station') ?? '', outline: getComputedStyle(el).outlineStyle, label: el.textContent ?? '' };
        })()`);
      const a = await dot();
      expect(a.station).not.toBe('');
      expect(a.outline).not.toBe('none');
      expect(a.label).toMatch(lang === 'zh-CN' ? /在线|离线|紧急告警/ : /online|offline|critical/);
      let moved = a;
      for (const key of ['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp']) {
        await page.keyboard.press(key);
        moved = await dot();
        if (moved.station !== a.station) break;
      }
      expect(moved.station).not.toBe(a.station);
      expect(moved.station).not.toBe('');
      await shot(`fleet-map-focus-${lang}`);
      const legend = (await page.locator('#map .legend').textContent()) ?? '';
      expect(legend).toContain(lang === 'zh-CN' ? '空心圆圈' : 'hollow ring');
      await page.keyboard.press('Enter');
      await expect.poll(() => page.evaluate<string>('location.hash'), { timeout: 5_000 }).toBe(`#/station/${encodeURIComponent(moved.station)}`);
    });

    it(`${lang}: on a phone, a long alarm name wraps inside the screen`, async () => {
      await open(lang, 390, 844);
      await search(LONG);
      const alarm = page.locator(`.vrow[data-station="${LONG}"] .alarm`);
      await alarm.waitFor({ timeout: 10_000 });
      expect(await alarm.locator('.alarm-name').textContent()).toBe(LONG_ALARM);
      const box = await page.evaluate<{ right: number; height: number; lineHeight: number; scrollWidth: number; clientWidth: number }>(`(() => {
        const el = document.querySelector('.vrow[data-station="${LONG}"] .alarm');
        const r = el.getBoundingClientRect();
        return { right: r.right, height: r.height, lineHeight: Number.parseFloat(getComputedStyle(el).lineHeight), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
      })()`);
      expect(box.right).toBeLessThanOrEqual(390);
      expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth + 1);
      // Wrapped: more than one line high.
      expect(box.height).toBeGreaterThan(box.lineHeight * 1.5);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await shot(`fleet-phone-long-alarm-${lang}`);
      await search('');
      await page.locator(`#fleet-counts[data-shown="${TOTAL}"]`).waitFor({ timeout: 10_000 });
      await shot(`fleet-phone-${lang}`);
    });
  }

  it('redraws the list and the map in the other language when the operator switches', async () => {
    await open('zh-CN');
    expect(await page.locator('#fleet-counts').textContent()).toContain('共');
    expect(await page.locator('#fleet-search').getAttribute('placeholder')).toBe('搜索站点编号、告警或设备');
    await page.click('#lang-switch');
    await expect.poll(() => page.locator('#fleet-counts').textContent(), { timeout: 5_000 }).toContain('stations');
    expect(await page.locator('#fleet-search').getAttribute('placeholder')).toBe('Search station, alarm or device');
    expect(await page.locator('button[data-filter="offline"]').textContent()).toBe('Offline');
    await expect.poll(() => page.locator('.vrow.srow .status-text').first().textContent(), { timeout: 5_000 }).toMatch(/online|offline/);
  });
});

