import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { issuePass } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey } from '../../simulators/cloud/token-issuer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, startOperatorStation, type OperatorStation } from './console-site.js';
import { axeBlocking, brokerClient, DESKTOP, launchBrowser, openOperatorPage, PHONE, WorkerPhone, type OperatorPage } from './operator-pages.js';

/*
 * Looking back, in Chromium against the demo station on the embedded broker: the test lets a
 * worker in (a rolling code sent as the cloud would) and has two others refused, then two
 * operators side by side (a phone in English, a desktop in Chinese, each with its own key and pass)
 * fetch the period from the station with cmd/logs (signed diagnose codes): the table shows what
 * the test caused, in station time and words; the refusals chart has, hour by hour, the numbers
 * the table's rows make, and its own numbers table says the same; the CSV downloads with a BOM,
 * both time columns and every row. A pass from a key the station does not trust is refused in
 * words. Screenshots in test-results/console/history/.
 */

const SHOTS = join(packageRoot(), 'test-results', 'console', 'history');
const PREFIX = 'stations';
const HOUR = 3600_000;

interface Operator {
  name: string;
  lang: 'zh-CN' | 'en';
  viewport: { width: number; height: number };
  period: 'day24' | 'date';
}

const OPERATORS: Operator[] = [
  { name: 'en-phone', lang: 'en', viewport: PHONE, period: 'day24' },
  { name: 'zh-desktop', lang: 'zh-CN', viewport: DESKTOP, period: 'date' },
];

describe('looking back at a station', () => {
  const dir = tempDir('station-history-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let station: OperatorStation;
  let browser: Browser;
  let cloud: MqttClient;
  const pages = new Map<string, OperatorPage>();
  const url = (lang: string): string => consoleUrl(site.url, broker.wsUrl ?? '', PREFIX, station.stationId).replace('#', `&lang=${lang}#`);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(`${dir.path}/site`);
    station = await startOperatorStation(dir.path, broker.url);
    browser = await launchBrowser();
    cloud = await brokerClient(broker.url);
    const grants = [{ act: 'diagnose' as const, res: station.stationId }];
    const [opened] = await Promise.all([
      Promise.all(OPERATORS.map((o) => openOperatorPage(browser, { ...o, url: url(o.lang), issuer: station.issuer, station: station.stationId, grants }))),
      (async () => {
        // What the operators will find: a worker let in, two refused (a pass for another door).
        const granted = await new WorkerPhone(station.issuer, station.stationId, [{ act: 'unlock', res: 'main-door' }], 'w-granted').request(cloud, PREFIX, 'unlock', 'main-door');
        expect(granted.ok).toBe(true);
        for (const sub of ['w-refused-1', 'w-refused-2']) {
          const refused = await new WorkerPhone(station.issuer, station.stationId, [{ act: 'unlock', res: 'first-aid' }], sub).request(cloud, PREFIX, 'unlock', 'main-door');
          expect(refused.error?.code).toBe('FORBIDDEN');
        }
      })(),
    ]);
    for (const p of opened) pages.set(p.name, p);
  });

  afterAll(async () => {
    await cloud?.endAsync();
    await browser?.close();
    await station?.stop();
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  const each = (fn: (o: Operator, p: OperatorPage) => Promise<void>): Promise<void[]> => Promise.all(OPERATORS.map((o) => fn(o, pages.get(o.name) as OperatorPage)));

  /** Picks the period (today, on the station's clock, for a chosen day) and fetches it to the end. */
  async function fetchPeriod(o: Operator, p: OperatorPage): Promise<void> {
    const history = p.page.locator('#station-history');
    await history.locator(`input[type="radio"][value="${o.period}"]`).check();
    if (o.period === 'date') {
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
      await history.locator('input[type="date"]').fill(today);
    }
    await history.locator('button[data-action="history-fetch"]').click();
    await history.locator('.history-status[data-status="done"]').waitFor({ timeout: 60_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nthe page: ${(await history.locator('.history-status').textContent()) ?? ''}`);
    });
  }

  it('fetches the period and shows what the test caused, in station time and words', async () => {
    await each(async (o, p) => {
      await fetchPeriod(o, p);
      const table = p.page.locator('#history-table');
      const granted = table.locator('tr[data-type="access.granted"]').filter({ hasText: 'w-granted' });
      expect(await granted.count()).toBe(1);
      const cells = await granted.locator('td').allTextContents();
      expect(cells[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8$/);
      expect(cells[1]).toBe(o.lang === 'en' ? 'Access granted' : '准许通行');
      expect(cells[3]).toContain('main-door');
      expect(await table.locator('tr[data-type="access.denied"]').count()).toBe(2);
      expect((await table.textContent()) ?? '').not.toMatch(/[{}]/);
      if (o.viewport === PHONE) expect(await p.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await p.page.locator('#station-history figure[data-metric="refusals"] details summary').click();
      expect(await axeBlocking(p.page, '#station-history')).toEqual([]);
      await p.page.locator('#station-history').screenshot({ path: join(SHOTS, `history-${o.name}.png`) });
    });
  }, 120_000);

  it('draws the refusals per hour with the numbers the table rows make', async () => {
    await each(async (_o, p) => {
      const history = p.page.locator('#station-history');
      const denied = await history.locator('#history-table tr[data-type="access.denied"]').evaluateAll((rows) => rows.map((r) => Date.parse(r.getAttribute('data-ts') ?? '')));
      const bars = await history.locator('figure[data-metric="refusals"] g.bar').evaluateAll((gs) => gs.map((g) => ({ hour: g.getAttribute('data-hour') ?? '', value: Number(g.getAttribute('data-value')) })));
      expect(bars.length).toBeGreaterThan(0);
      for (const bar of bars) {
        const start = Date.parse(bar.hour);
        expect(bar.value, bar.hour).toBe(denied.filter((t) => t >= start && t < start + HOUR).length);
        // The same number in the chart's own table.
        expect(await history.locator(`table[data-metric="refusals"] tr[data-hour="${bar.hour}"] td`).textContent()).toBe(String(bar.value));
      }
      expect(bars.reduce((n, b) => n + b.value, 0)).toBe(2);
      expect(await history.locator('figure[data-metric="refusals"] svg title').first().textContent()).toMatch(/refusals|拒绝/i);
    });
  }, 60_000);

  it('exports the rows as CSV, with a BOM and station-time and UTC columns', async () => {
    await each(async (o, p) => {
      const history = p.page.locator('#station-history');
      const [download] = await Promise.all([p.page.waitForEvent('download', { timeout: 20_000 }), history.locator('button[data-action="history-csv"]').click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^${station.stationId}_\\d{4}-\\d{2}-\\d{2}T\\d{4}_\\d{4}-\\d{2}-\\d{2}T\\d{4}\\.csv$`));
      const file = join(dir.path, `${o.name}.csv`);
      await download.saveAs(file);
      const bytes = readFileSync(file);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.toString('utf8').slice(1).split('\r\n').filter(Boolean);
      expect(lines[0]).toMatch(o.lang === 'en' ? /^Station time \(Asia\/Shanghai\),UTC,Type,/ : /^站点时间（Asia\/Shanghai）,UTC,类型,/);
      const ids = await history.locator('#history-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
      const status = (await history.locator('.history-status').textContent()) ?? '';
      const total = Number(/(\d+)/.exec(status.replace(/,/g, ''))?.[1]);
      expect(lines.length - 1).toBe(total);
      expect(ids.every((id) => lines.some((l) => l.endsWith(`,${id}`)))).toBe(true);
      const granted = lines.find((l) => l.includes('w-granted') && l.includes('access.granted')) ?? '';
      const [local, utc] = granted.split(',');
      expect(Date.parse(`${utc?.replace(' ', 'T')}Z`) - Date.parse(`${local?.replace(' ', 'T')}Z`)).toBe(-8 * HOUR);
    });
  }, 60_000);

  it('says in words when the station refuses: a pass from a key it does not trust', async () => {
    const p = pages.get('en-phone') as OperatorPage;
    const untrusted = await generateIssuerKey('not-trusted');
    const key = (await p.page.locator('#operator-public-key').getAttribute('data-key')) ?? '';
    const pass = issuePass(untrusted, { sub: 'op-stranger', role: 'operator', phoneKey: new Uint8Array(Buffer.from(key, 'base64url')), stations: [station.stationId], grants: [{ act: 'diagnose', res: station.stationId }] });
    await p.page.evaluate(`location.hash = ${JSON.stringify(`#pass=${Buffer.from(pass).toString('base64url')}&station=${station.stationId}`)}`);
    await p.page.locator('#operator-pass[data-sub="op-stranger"]').waitFor({ state: 'attached', timeout: 20_000 });
    const history = p.page.locator('#station-history');
    await history.locator('button[data-action="history-fetch"]').click();
    const status = history.locator('.history-status[data-status="failed"]');
    await status.waitFor({ timeout: 30_000 });
    expect(await status.textContent()).toContain('The station does not trust the key');
    await history.screenshot({ path: join(SHOTS, 'refused-en-phone.png') });
  }, 60_000);
});
