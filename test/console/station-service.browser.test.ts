import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { buildConsole, startOperatorStation, type OperatorStation } from './console-site.js';
import { axeBlocking, brokerClient, DESKTOP, launchBrowser, openOperatorPage, PHONE, WorkerPhone, type OperatorPage } from './operator-pages.js';

/*
 * Out of service and back from the console, in Chromium against the demo station (simulators and
 * gateway as their own processes) on the embedded broker: two operators side by side, a phone in
 * Chinese and a desktop in English, each with its own key and pass. Each takes a cabinet slot out
 * (the station keeps it in its store, which the test reads), sees the slot the OTHER took out, from
 * S/availability, with who and when, then puts its own back; and a door entrance out with
 * a reason: the page shows who, when and why from S/availability, a worker's code for that door is
 * refused, and it is put back. A refusal is shown in words. Screenshots in test-results/console/service/.
 */

const SHOTS = join(packageRoot(), 'test-results', 'console', 'service');
const PREFIX = 'stations';

interface Operator {
  name: string;
  lang: 'zh-CN' | 'en';
  viewport: { width: number; height: number };
  slot: number;
  door: string;
}

const OPERATORS: Operator[] = [
  { name: 'zh-phone', lang: 'zh-CN', viewport: PHONE, slot: 2, door: 'main-door' },
  { name: 'en-desktop', lang: 'en', viewport: DESKTOP, slot: 3, door: 'first-aid' },
];

describe('out of service and back, from the console', () => {
  const dir = tempDir('station-service-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let station: OperatorStation;
  let browser: Browser;
  let cloud: MqttClient;
  const pages = new Map<string, OperatorPage>();

  const disabledSlots = (): number[] => {
    const db = new BetterSqlite3(station.dbFile, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('setting:cabinet.cabinet-1.slotsOutOfService') as { value: string } | undefined;
      return row ? Object.keys(JSON.parse(row.value) as Record<string, unknown>).map(Number) : [];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(`${dir.path}/site`);
    station = await startOperatorStation(dir.path, broker.url);
    browser = await launchBrowser();
    cloud = await brokerClient(broker.url);
    const url = (lang: string): string => consoleUrl(site.url, broker.wsUrl ?? '', PREFIX, station.stationId).replace('#', `&lang=${lang}#`);
    const opened = await Promise.all(
      OPERATORS.map((o) =>
        openOperatorPage(browser, { ...o, url: url(o.lang), issuer: station.issuer, station: station.stationId, grants: [{ act: 'operate' }, { act: 'diagnose', res: station.stationId }] }),
      ),
    );
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

  it('takes a slot out of service by its door number and back; the station keeps it; the other operator sees it', async () => {
    const cabinetOf = (p: OperatorPage) => p.page.locator('#station .device[data-device="cabinet-1"]');
    const slotReason = (o: Operator): string => `latch sticks (${o.name})`;
    await each(async (o, p) => {
      const { page } = p;
      const cabinet = cabinetOf(p);
      await cabinet.locator('.slot[data-slot="8"]').waitFor({ timeout: 30_000 });
      const actions = cabinet.locator('[data-slot-actions="cabinet-1"]');
      await actions.locator('summary').click();
      const row = actions.locator(`li[data-slot="${o.slot}"]`);
      expect(await row.locator('b').textContent()).toBe(o.lang === 'en' ? `Slot ${o.slot}` : `${o.slot} 号仓`);
      await actions.locator('input[name="slot-reason"]').fill(slotReason(o));
      await row.locator('button[data-enabled="false"]').click();
      await cabinet.locator(`.slot[data-slot="${o.slot}"][data-enabled="false"]`).waitFor({ timeout: 30_000 });
      // The station's state can show the slot before the command's reply reaches the page.
      await row.locator('.action-reply', { hasText: o.lang === 'en' ? `Slot ${o.slot} is out of service.` : `${o.slot} 号仓已停用。` }).waitFor({ timeout: 30_000 });
      expect(await cabinet.locator(`.slot[data-slot="${o.slot}"] .slot-off`).textContent()).toContain(o.lang === 'en' ? 'out of service' : '已停用');
      expect(disabledSlots()).toContain(o.slot);
    });

    // Each sees the slot the other took out, from the station's availability: who, when (station time).
    await each(async (o, p) => {
      const other = OPERATORS.find((x) => x !== o) as Operator;
      const otherSub = (pages.get(other.name) as OperatorPage).sub;
      const cabinet = cabinetOf(p);
      const mark = cabinet.locator(`.slot[data-slot="${other.slot}"][data-enabled="false"] .slot-off[data-local="false"]`);
      await mark.waitFor({ timeout: 30_000 });
      const text = (await mark.textContent()) ?? '';
      expect(text).toContain(otherSub);
      expect(text).toContain(slotReason(other));
      expect(text).toMatch(/\d{2}:\d{2}:\d{2} GMT\+8/);
      // Its own, once the availability followed, is the station's too.
      await cabinet.locator(`.slot[data-slot="${o.slot}"] .slot-off[data-local="false"]`).waitFor({ timeout: 30_000 });
      const listed = p.page.locator(`#station-service li[data-device="cabinet-1"][data-slot="${other.slot}"]`);
      await listed.waitFor({ timeout: 30_000 });
      expect(await listed.textContent()).toContain(otherSub);
      expect(await listed.textContent()).toContain(slotReason(other));
      expect(await axeBlocking(p.page, '#station .device[data-device="cabinet-1"]')).toEqual([]);
      if (o.viewport === PHONE) expect(await p.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
      await cabinet.screenshot({ path: join(SHOTS, `slot-out-${o.name}.png`) });
    });

    await each(async (o, p) => {
      const cabinet = cabinetOf(p);
      const row = cabinet.locator(`[data-slot-actions="cabinet-1"] li[data-slot="${o.slot}"]`);
      await row.locator('button[data-enabled="true"]').click();
      await cabinet.locator(`.slot[data-slot="${o.slot}"][data-enabled="true"]`).waitFor({ timeout: 30_000 });
      // The station's state can show the slot before the command's reply reaches the page.
      await row.locator('.action-reply', { hasText: o.lang === 'en' ? `Slot ${o.slot} is back in service.` : `${o.slot} 号仓已恢复。` }).waitFor({ timeout: 30_000 });
      expect(disabledSlots()).not.toContain(o.slot);
    });
    // And each sees the other's back.
    await each(async (o, p) => {
      const other = OPERATORS.find((x) => x !== o) as Operator;
      await cabinetOf(p).locator(`.slot[data-slot="${other.slot}"][data-enabled="true"]`).waitFor({ timeout: 30_000 });
      expect(await p.page.locator('#station-service li[data-slot]').count()).toBe(0);
    });
  }, 120_000);

  it('takes a door entrance out of service with a reason: shown with who and when, a worker is refused; then back', async () => {
    await each(async (o, { page, sub }) => {
      const service = page.locator('#station-service');
      const reason = o.lang === 'en' ? `lock repair (${o.name})` : `门锁维修（${o.name}）`;
      await service.locator('input[name="service-resource"]').fill(o.door);
      await service.locator('input[name="service-reason"]').fill(reason);
      await service.locator('button[data-form="true"][data-enabled="false"]').click();
      const entry = service.locator(`li[data-resource="${o.door}"]`);
      // On a timeout, say what the page said instead (the reply in words).
      await entry.waitFor({ timeout: 30_000 }).catch(async (err: Error) => {
        throw new Error(`${err.message}\nthe page: ${(await service.textContent()) ?? ''}`);
      });
      const text = (await entry.textContent()) ?? '';
      expect(text).toContain(reason);
      expect(text).toContain(sub);
      // When, on the station's clock, labelled.
      expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8/);
      expect(await service.locator('.service-form .action-reply[data-ok="true"]').textContent()).toContain(o.lang === 'en' ? `${o.door} is out of service.` : `${o.door} 已停用。`);
      expect(await axeBlocking(page, '#station-service')).toEqual([]);
      await service.screenshot({ path: join(SHOTS, `door-out-${o.name}-service.png`) });
      await page.screenshot({ path: join(SHOTS, `door-out-${o.name}.png`), fullPage: true });

      // A worker at that door: refused while it is out of service.
      const worker = new WorkerPhone(station.issuer, station.stationId, [{ act: 'unlock', res: o.door }], `w-${o.name}`);
      const refused = await worker.request(cloud, PREFIX, 'unlock', o.door);
      expect(refused.ok).toBe(false);
      expect(refused.error?.code).toBe('FORBIDDEN');
      expect(refused.error?.message).toMatch(/out of service/);

      await entry.locator('button[data-enabled="true"]').click();
      await entry.waitFor({ state: 'detached', timeout: 30_000 });
    });
    // Both back: nothing out of service, in words.
    for (const o of OPERATORS) {
      const page = (pages.get(o.name) as OperatorPage).page;
      await waitFor(async () => (await page.locator('#station-service .none').count()) === 1, 20_000, 'nothing out of service');
      expect(await page.locator('#station-service .none').textContent()).toBe(o.lang === 'en' ? 'Nothing is out of service.' : '没有停用的设施。');
    }
  }, 120_000);

  it('says a refusal in words: an unknown resource', async () => {
    const { page } = pages.get('en-desktop') as OperatorPage;
    const service = page.locator('#station-service');
    await service.locator('input[name="service-resource"]').fill('no-such-door');
    await service.locator('button[data-form="true"][data-enabled="false"]').click();
    const reply = service.locator('.service-form .action-reply[data-code="UNKNOWN_RESOURCE"]');
    await reply.waitFor({ timeout: 30_000 });
    expect(await reply.textContent()).toContain('The station has no such');
    // What was typed stays, to correct it.
    expect(await service.locator('input[name="service-resource"]').inputValue()).toBe('no-such-door');
    await service.screenshot({ path: join(SHOTS, 'refused-en-desktop.png') });
  }, 60_000);
});
