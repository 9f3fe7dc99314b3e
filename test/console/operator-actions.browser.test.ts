import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { COMMAND_NAMES } from '../../cloud-bridge/contract-schemas.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { issuePass, type PassRequest } from '../../simulators/cloud/pass-issuer.js';
import { CHROMIUM } from '../helpers/browser.js';
import { MqttRecorder } from '../helpers/mqtt-recorder.js';
import { accessEvents, doorReleases } from '../helpers/door-station.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, startOperatorStation, type OperatorStation } from './console-site.js';

/*
 * The operator's actions in the console, in headless Chromium against the demo station (its
 * simulators and gateway as their own processes, with access) on the embedded broker over
 * WebSocket. Four browser contexts side by side, a phone and a desktop in Chinese and in English,
 * each with its own key made by the page and an operator pass the test issues for the key the page
 * shows, as the fleet would: each unlocks the door remotely with a reason, by the name the
 * station's birth gives the door (the simulated lock counts releases; the usage log's
 * access.granted carries the reason); with a birth that lists no resources (an older gateway) the
 * name is typed, as before. Each takes a snapshot, and one
 * acknowledges an alarm raised at the cabinet simulator, which the others then see as
 * acknowledged by that operator. Refusals are shown in words: a worker's pass is not taken, an
 * action without a pass is disabled with the reason, an unlock without a reason cannot be sent.
 */

const SHOTS = join(packageRoot(), 'test-results', 'console', 'operator');
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const LANGS = ['zh-CN', 'en'] as const;
type Lang = (typeof LANGS)[number];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] };

/** axe-core's serious and critical violations on the page as it stands (as console-a11y.browser.test.ts runs it). */
async function blockingViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(`axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ': ' + v.help + ' ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
}

interface Operator {
  name: string;
  lang: Lang;
  context: BrowserContext;
  page: Page;
  sub: string;
  key: Uint8Array;
}

/** The words each language shows, as the page writes them (console/src/i18n/operator-text.ts). */
const WORDS = {
  'zh-CN': { unlock: '远程开门', ack: '确认报警', snapshot: '获取快照', ackedBy: (by: string) => `已由 ${by} 于`, unlocked: '已开门', worker: '这是工人通行证', noPass: '需要运维通行证', reasonMissing: '请填写原因', station: '站点快照', cabinet: '换电柜' },
  en: { unlock: 'Remote unlock', ack: 'Acknowledge', snapshot: 'Take snapshot', ackedBy: (by: string) => `acknowledged by ${by} at`, unlocked: 'Unlocked', worker: 'worker\'s pass', noPass: 'Needs an operator pass', reasonMissing: 'Give a reason', station: 'Station snapshot', cabinet: 'Battery cabinet' },
} as const;

describe('operator actions in the console', () => {
  const dir = tempDir('operator-actions-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let station: OperatorStation;
  let browser: Browser;
  const operators: Operator[] = [];

  const url = (lang: Lang): string => consoleUrl(site.url, broker.wsUrl ?? '', 'stations', station.stationId).replace('#', `&lang=${lang}#`);
  const shot = (o: Operator, what: string): Promise<Buffer> => o.page.screenshot({ path: join(SHOTS, `${what}-${o.name}.png`), fullPage: true });
  const all = <T>(f: (o: Operator) => Promise<T>): Promise<T[]> => Promise.all(operators.map(f));
  const pass = (o: Operator, extra: Partial<PassRequest> = {}): string =>
    Buffer.from(
      issuePass(station.issuer, {
        sub: o.sub,
        role: 'operator',
        phoneKey: o.key,
        stations: [station.stationId],
        grants: [{ act: 'unlock' }, { act: 'operate' }, { act: 'diagnose', res: station.stationId }],
        ...extra,
      }),
    ).toString('base64url');
  const command = async (device: string, line: string): Promise<void> => {
    const res = await fetch(`${station.control}/devices/${device}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: line }) });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(join(dir.path, 'site'));
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(join(dir.path, 'site'));
    station = await startOperatorStation(dir.path, broker.url);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    for (const [view, viewport] of Object.entries(VIEWPORTS)) {
      for (const lang of LANGS) {
        const context = await browser.newContext({ viewport, locale: lang });
        const name = `${view}-${lang}`;
        operators.push({ name, lang, context, page: await context.newPage(), sub: `ops-${name}`, key: new Uint8Array() });
      }
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await station?.stop();
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  it('shows each browser its own key, refuses a worker pass in words, and takes an operator pass', async () => {
    await all(async (o) => {
      const w = WORDS[o.lang];
      await o.page.goto(url(o.lang));
      await o.page.locator('#station .device[data-device="lock-1"][data-status="online"]').waitFor({ timeout: 30_000 });
      // No pass: the door's remote unlock is there, disabled, with the reason in words.
      const unlock = o.page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]');
      await unlock.waitFor({ timeout: 10_000 });
      expect(await unlock.isDisabled()).toBe(true);
      expect(await o.page.locator('#station .door-row[data-door="1"] .why').textContent()).toContain(w.noPass);
      await o.page.locator('#operator-summary').click();
      const key = (await o.page.locator('#operator-public-key').getAttribute('data-key')) ?? '';
      o.key = new Uint8Array(Buffer.from(key, 'base64url'));
      expect(o.key.length).toBe(32);
      // A worker's pass for this very key: refused, and said why.
      await o.page.locator('#operator-pass-input').fill(pass(o, { role: 'worker' }));
      await o.page.locator('#operator-pass-take').click();
      await o.page.locator('#operator-notice[data-problem="worker"]').waitFor({ timeout: 5000 });
      expect(await o.page.locator('#operator-notice').textContent()).toContain(w.worker);
      await shot(o, 'refused-worker-pass');
    });
    // Every context made a key of its own.
    expect(new Set(operators.map((o) => Buffer.from(o.key).toString('hex'))).size).toBe(4);
    // A pass for another browser's key is refused too.
    const [first, second] = operators as [Operator, Operator];
    await first.page.locator('#operator-pass-input').fill(pass(second));
    await first.page.locator('#operator-pass-take').click();
    await first.page.locator('#operator-notice[data-problem="other-phone"]').waitFor({ timeout: 5000 });

    await all(async (o) => {
      // Two ways in, as the phone page's: a `#pass=` link for the phones, pasted for the desktops.
      if (o.name.startsWith('phone')) {
        await o.page.goto(`${url(o.lang).replace(/#.*$/, '')}#pass=${pass(o)}&station=${station.stationId}`);
      } else {
        await o.page.locator('#operator-pass-input').fill(pass(o));
        await o.page.locator('#operator-pass-take').click();
      }
      await o.page.locator(`#operator-pass[data-sub="${o.sub}"][data-role="operator"]`).waitFor({ timeout: 10_000 });
      expect(await o.page.locator('#operator-summary').textContent()).toContain(o.sub);
      await o.page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]:not([disabled])').waitFor({ timeout: 30_000 });
      await shot(o, 'operator-pass');
      // Closed again: the station view is what the next steps look at.
      await o.page.locator('#operator-summary').click();
    });
  }, 120_000);

  it('offers each door the name the station gives it, will not send an unlock without a reason, and unlocks with one', async () => {
    const before = await doorReleases(station.control, 1);
    await all(async (o) => {
      const w = WORDS[o.lang];
      const page = o.page;
      // The birth lists the station's resources: each door's button carries that door's own name.
      expect(await page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]').getAttribute('data-resource')).toBe('main-door');
      expect(await page.locator('#station .door-row[data-door="2"] button[data-action="unlock"]').getAttribute('data-resource')).toBe('first-aid');
      // By keyboard: focus the button, Enter opens the dialog.
      await page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]').focus();
      await page.keyboard.press('Enter');
      await page.locator('#unlock-dialog').waitFor({ timeout: 5000 });
      // Nothing to type: the station's name for this door is the one choice, already chosen.
      const resource = page.locator('#unlock-dialog-resource');
      expect(await resource.evaluate((el) => el.tagName)).toBe('SELECT');
      expect(await resource.locator('option').allTextContents()).toEqual(['main-door']);
      expect(await resource.inputValue()).toBe('main-door');
      await page.locator('#unlock-dialog [data-step="next"]').click();
      // No reason: the confirm step does not come, the field says what is missing.
      expect(await page.locator('#unlock-dialog-reason-error').textContent()).toContain(w.reasonMissing);
      expect(await page.locator('#unlock-dialog .step-confirm').isHidden()).toBe(true);
      expect(await page.evaluate('document.activeElement.id')).toBe('unlock-dialog-reason');
      await shot(o, 'unlock-no-reason');
      await page.keyboard.type(`worker at the door, phone dead (${o.name})`);
      await page.locator('#unlock-dialog [data-step="next"]').click();
      await page.locator('#unlock-dialog [data-step="confirm"]').waitFor({ timeout: 5000 });
      expect(await page.locator('#unlock-dialog .confirm-text').textContent()).toContain('main-door');
      await shot(o, 'unlock-confirm');
      await page.keyboard.press('Enter');
      const status = page.locator('#station .door-row[data-door="1"] .action-status[data-command="unlock"][data-phase="done"]');
      await status.waitFor({ timeout: 30_000 });
      expect(await status.getAttribute('data-ok'), (await status.textContent()) ?? '').toBe('true');
      expect(await status.textContent()).toContain(w.unlocked);
      await shot(o, 'unlock-done');
    });
    await expect.poll(() => doorReleases(station.control, 1), { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 4);
    const granted = accessEvents(station.dbFile, 'access.granted');
    for (const o of operators) expect(granted.find((e) => e['sub'] === o.sub && e['res'] === 'main-door')?.['reason']).toBe(`worker at the door, phone dead (${o.name})`);
  }, 120_000);

  it('asks for the name where the birth lists no resources (an older gateway), says when it is another door\'s, and shows a door out of service in the file', async () => {
    const topic = `stations/${station.stationId}/status`;
    const watch = await MqttRecorder.connect(broker.url, topic);
    const birth = (await watch.waitFor(topic, (m) => m.body['online'] === true)).body;
    await watch.close();
    expect(birth['resources']).toBeDefined();
    const { resources: _listed, ...older } = birth;
    const cloud = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clean: true });
    const o = operators.find((x) => x.name === 'desktop-en') as Operator;
    const page = o.page;
    const unlock = (door: number) => page.locator(`#station .door-row[data-door="${door}"] button[data-action="unlock"]`);
    try {
      // The station's birth as a gateway older than `resources` sends it.
      await cloud.publishAsync(topic, JSON.stringify(older), { qos: 1, retain: true });
      await page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]:not([data-resource])').waitFor({ timeout: 10_000 });
      // A name the station does not have: refused by the station, in words, and nothing opens.
      await unlock(1).click();
      expect(await page.locator('#unlock-dialog-resource').evaluate((el) => el.tagName)).toBe('INPUT');
      await page.locator('#unlock-dialog-resource').fill('no-such-door');
      await page.locator('#unlock-dialog-reason').fill('testing a wrong name');
      await page.locator('#unlock-dialog [data-step="next"]').click();
      await page.locator('#unlock-dialog [data-step="confirm"]').click();
      const refused = page.locator('#station .door-row[data-door="1"] .action-status[data-phase="done"][data-ok="false"]');
      await refused.waitFor({ timeout: 30_000 });
      expect(await refused.getAttribute('data-code')).toBe('UNKNOWN_RESOURCE');
      expect(await refused.textContent()).toContain('The station has no such resource');
      await shot(o, 'unlock-refused');
      // The name given last is remembered for this door.
      await unlock(1).click();
      expect(await page.locator('#unlock-dialog-resource').inputValue()).toBe('no-such-door');
      // A name that is another door's: the station opens that door, and the page says so and moves the name there.
      const door2 = await doorReleases(station.control, 2);
      await page.locator('#unlock-dialog-resource').fill('first-aid');
      await page.locator('#unlock-dialog-reason').fill('first-aid kit for a worker');
      await page.locator('#unlock-dialog [data-step="next"]').click();
      await page.locator('#unlock-dialog [data-step="confirm"]').click();
      const status = page.locator('#station .door-row[data-door="1"] .action-status[data-ok="true"]');
      await expect.poll(() => status.textContent(), { timeout: 30_000 }).toContain('this resource is door 2, not door 1');
      expect(await doorReleases(station.control, 2)).toBe(door2 + 1);
      await unlock(2).click();
      expect(await page.locator('#unlock-dialog-resource').inputValue()).toBe('first-aid');
      await shot(o, 'unlock-other-door');
      await page.keyboard.press('Escape');
      // A door the station file takes out of service: drawn disabled, saying so; no name is offered.
      const closed = { ...birth, resources: (birth['resources'] as Array<Record<string, unknown>>).map((r) => (r['name'] === 'first-aid' ? { ...r, outOfService: true } : r)) };
      await cloud.publishAsync(topic, JSON.stringify(closed), { qos: 1, retain: true });
      await page.locator('#station .door-row[data-door="2"] button[data-action="unlock"][disabled]').waitFor({ timeout: 10_000 });
      expect(await page.locator('#station .door-row[data-door="2"] .why').textContent()).toContain('out of service in the station file');
      expect(await unlock(1).getAttribute('data-resource')).toBe('main-door');
    } finally {
      // The station's own birth back, as its next connect would publish it.
      await cloud.publishAsync(topic, JSON.stringify(birth), { qos: 1, retain: true });
      await cloud.endAsync();
    }
    await all((x) => x.page.locator('#station .door-row[data-door="1"] button[data-action="unlock"][data-resource="main-door"]').waitFor({ timeout: 10_000 }));
  }, 120_000);

  it('takes a snapshot and shows it in the station cards\' words', async () => {
    await all(async (o) => {
      const w = WORDS[o.lang];
      await o.page.locator('#station-actions button[data-action="snapshot"]').click();
      const snapshot = o.page.locator('#station-snapshot');
      await snapshot.waitFor({ timeout: 30_000 });
      expect(await snapshot.locator('h3').textContent()).toBe(w.station);
      expect(await snapshot.locator('.device').count()).toBe(5);
      expect(await snapshot.locator('.device[data-device="cabinet-1"]').textContent()).toContain(w.cabinet);
      // Read as words; the JSON is folded away.
      expect(await snapshot.locator('details.raw').getAttribute('open')).toBeNull();
      expect(await snapshot.locator(':scope > :not(details)').allTextContents()).not.toContainEqual(expect.stringMatching(/[{}]/));
      await snapshot.scrollIntoViewIfNeeded();
      await shot(o, 'snapshot');
    });
  }, 60_000);

  it('passes axe-core with the controls, the unlock dialog and the snapshot on the page', async () => {
    await all(async (o) => {
      expect(await blockingViolations(o.page), o.name).toEqual([]);
      await o.page.locator('#station .door-row[data-door="1"] button[data-action="unlock"]').click();
      await o.page.locator('#unlock-dialog').waitFor({ timeout: 5000 });
      expect(await blockingViolations(o.page), `${o.name} with the dialog`).toEqual([]);
      await o.page.keyboard.press('Escape');
      await o.page.locator('#unlock-dialog').waitFor({ state: 'detached', timeout: 5000 });
      // Focus is back on the button that opened it.
      expect(await o.page.evaluate(`document.activeElement.dataset.action`)).toBe('unlock');
    });
  }, 60_000);

  it.runIf(COMMAND_NAMES.includes('ack' as never))('acknowledges an alarm, and a second operator sees who did', async () => {
    const cabinet = (await (await fetch(`${station.control}/devices/cabinet-1`)).json()) as { slots: Array<{ state: string }> };
    if (cabinet.slots[4]?.state === 'empty') await command('cabinet-1', 'slot 5 insert 50 48');
    await command('cabinet-1', 'slot 5 temperature 62');
    const alarmOf = (o: Operator) => o.page.locator('#station-alarms li[data-alarm="slot.overheat.5"]');
    await all((o) => alarmOf(o).locator('button[data-action="ack"]').waitFor({ timeout: 30_000 }));
    const [acker, ...others] = operators.slice().reverse() as [Operator, ...Operator[]];
    await alarmOf(acker).locator('button[data-action="ack"]').click();
    await acker.page.locator('#ack-dialog-note').fill('crew on the way');
    await acker.page.locator('#ack-dialog [data-step="next"]').click();
    await acker.page.locator('#ack-dialog [data-step="confirm"]').click();
    const done = alarmOf(acker).locator('.action-status[data-command="ack"][data-phase="done"]');
    await done.waitFor({ timeout: 30_000 });
    expect(await done.getAttribute('data-ok'), (await done.textContent()) ?? '').toBe('true');
    await shot(acker, 'ack-done');
    await all(async (o) => {
      const line = alarmOf(o).locator(`.alarm-ack[data-acknowledged-by="${acker.sub}"]`);
      await line.waitFor({ timeout: 20_000 });
      expect(await line.textContent()).toContain(WORDS[o.lang].ackedBy(acker.sub));
      expect(await line.textContent()).toContain('crew on the way');
      if (o !== acker) {
        // Handled: the others are not offered a second acknowledgement.
        expect(await alarmOf(o).locator('button[data-action="ack"]').count()).toBe(0);
        await alarmOf(o).scrollIntoViewIfNeeded();
        await shot(o, 'acknowledged-by-other');
      }
    });
    expect(others.length).toBe(3);
    await command('cabinet-1', 'slot 5 temperature 30');
    await all((o) => alarmOf(o).waitFor({ state: 'detached', timeout: 30_000 }));
  }, 120_000);
});
