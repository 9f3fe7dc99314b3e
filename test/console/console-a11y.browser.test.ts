import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { FleetRunner } from '../../fleet/fleet-runner.js';
import { issuePass } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey } from '../../simulators/cloud/token-issuer.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { distEntry, runNode, type RunningProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, demoStationCopy } from './console-site.js';

/*
 * axe-core in Chromium over every view an operator or a worker meets: the console's connect form,
 * fleet list, map and station view against the demo station (station-sim and the gateway as their
 * own processes, as `npm start` runs them) and a small simulated fleet on an embedded broker, and
 * the phone page before and after it holds a pass; each in Chinese and English, at a desktop and a
 * phone's size. A serious or critical violation fails the view; moderate and minor ones are logged,
 * to be looked at, not to block. axe.min.js is put into the page by evaluate (as @axe-core/playwright
 * does), which a page's script policy does not stop.
 */

const STATION = 'demo-hz-0001';
const DOOR_CODE = 'hz-a11y-1';
const SHOTS = join(packageRoot(), 'test-results', 'console', 'a11y');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] };
const LANGS = ['zh-CN', 'en'] as const;
type Lang = (typeof LANGS)[number];
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; html: string; summary: string }>;
}

/**
 * Runs axe over the whole document as it stands: its violations, trimmed to what a report needs,
 * and the rules the page passed (a check that ran no rule would pass anything).
 */
async function axeRun(page: Page): Promise<{ violations: Violation[]; passed: string[] }> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // Written as text: the test's own TypeScript has no DOM types; this runs in the page.
  return page.evaluate(`axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((r) => ({
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary ?? '' })),
    })),
    passed: r.passes.map((p) => p.id),
  }))`);
}

const axe = async (page: Page): Promise<Violation[]> => (await axeRun(page)).violations;

async function simCommand(control: string, line: string): Promise<void> {
  const [device, ...rest] = line.split(' ');
  const res = await fetch(`${control}/devices/${device}/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command: rest.join(' ') }) });
  if (res.status !== 200) throw new Error(`station-sim refused "${line}": ${res.status}`);
}

const blocking = (v: Violation): boolean => v.impact === 'serious' || v.impact === 'critical';

function describeViolations(where: string, list: Violation[]): string {
  return list
    .map((v) => [`${where}: [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`, ...v.nodes.map((n) => `    ${n.target.map(String).join(' >> ')}  ${n.html.slice(0, 160)}\n      ${n.summary.replace(/\n/g, '\n      ')}`)].join('\n'))
    .join('\n');
}

describe('accessibility (axe-core) of the console and the phone page', () => {
  const dir = tempDir('console-a11y-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let sim: RunningProcess;
  let gateway: RunningProcess;
  let fleet: FleetRunner;
  let chromium: HeadlessBrowser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(join(dir.path, 'site'));
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
    site = await serveStatic(join(dir.path, 'site'));
    const stationFile = await demoStationCopy(dir.path);
    sim = runNode(distEntry('simulators', 'cli', 'station-sim.js'), ['station', '--config', stationFile, '--seed', '1']);
    await sim.waitForOutput('ready', 20_000);
    // An active alarm on the demo station, so the station view is checked with its alarm list full.
    const control = /control: (http:\/\/\S+)/.exec(sim.output())?.[1] ?? '';
    const cabinet = (await (await fetch(`${control}/devices/cabinet-1`)).json()) as { slots: Array<{ state: string }> };
    if (cabinet.slots[4]?.state === 'empty') await simCommand(control, 'cabinet-1 slot 5 insert 50 48');
    await simCommand(control, 'cabinet-1 slot 5 temperature 62');
    gateway = runNode(distEntry('gateway', 'cli', 'station-gateway.js'), ['run', '--config', stationFile, '--cloud-url', broker.url]);
    // Faulty stations too: alarms and critical rows are what an operator reads most.
    fleet = new FleetRunner({ broker: broker.url, stations: 12, faultyPercent: 50, seed: 7, tickSeconds: 5 });
    fleet.start();
    chromium = await launchChromium();
    page = await chromium.newPage();
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

  /** `?lang=` is read first by both pages' language pick; the URL's hash keeps the route. */
  const withLang = (url: string, lang: Lang): string => {
    const u = new URL(url);
    u.searchParams.set('lang', lang);
    return u.toString();
  };

  /**
   * Checks the view `open` shows in each viewport: axe, a screenshot, moderate and minor findings
   * logged; fails listing every serious or critical one.
   */
  async function check(view: string, lang: Lang, open: () => Promise<void>): Promise<void> {
    const found: string[] = [];
    for (const vp of VIEWPORTS) {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await open();
      // The check is of the page in that language: one that ignored `?lang=` would pass it unchecked.
      await expect.poll(() => page.locator('html').getAttribute('lang'), { message: `${view} in ${lang}: <html lang>`, timeout: 10_000 }).toBe(lang);
      const where = `${view} ${lang} ${vp.name}`;
      const { violations, passed } = await axeRun(page);
      // The rules that matter most here saw the view: text contrast and the page's language.
      expect([...passed, ...violations.map((v) => v.id)], `${where}: rules axe applied`).toEqual(expect.arrayContaining(['color-contrast', 'html-has-lang']));
      await page.screenshot({ path: join(SHOTS, `${view}-${lang}-${vp.name}.png`) });
      const minor = violations.filter((v) => !blocking(v));
      if (minor.length > 0) console.log(`axe, not blocking:\n${describeViolations(where, minor)}`);
      const serious = violations.filter(blocking);
      if (serious.length > 0) found.push(describeViolations(where, serious));
    }
    expect(found, `serious or critical accessibility violations:\n${found.join('\n')}`).toEqual([]);
  }

  it('finds what it is there to find: a page with an unnamed button and an image with no text fails', async () => {
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><button></button><img src="data:,"></main></html>');
    const found = (await axe(page)).filter(blocking).map((v) => v.id);
    expect(found).toEqual(expect.arrayContaining(['button-name', 'image-alt']));
  });

  for (const lang of LANGS) {
    it(`connect form, ${lang}`, { timeout: 90_000 }, async () => {
      await check('connect', lang, async () => {
        // The URL fills the form but does not connect (no `connect=1`), nor does a tab that
        // connected before and remembers it.
        await page.goto(site.url);
        await page.evaluate('sessionStorage.clear()');
        await page.goto(withLang(`${site.url}?${new URLSearchParams({ url: broker.wsUrl ?? '', prefix: 'stations' }).toString()}`, lang));
        await page.locator('form input').first().waitFor({ timeout: 10_000 });
      });
    });

    it(`fleet list, ${lang}`, { timeout: 90_000 }, async () => {
      await check('fleet', lang, async () => {
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? ''), lang));
        await page.locator(`.vrow[data-station="${STATION}"][data-status="online"]`).waitFor({ timeout: 20_000 });
      });
    });

    it(`fleet list, a search that matches nothing, ${lang}`, { timeout: 90_000 }, async () => {
      await check('fleet-empty-search', lang, async () => {
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? ''), lang));
        await page.locator(`.vrow[data-station="${STATION}"]`).waitFor({ timeout: 20_000 });
        await page.fill('#fleet-search', 'no-such-station-zz');
        await expect.poll(() => page.locator('.vlist .vrow:not([hidden])').count(), { timeout: 10_000 }).toBe(0);
      });
    });

    it(`map, ${lang}`, { timeout: 90_000 }, async () => {
      await check('map', lang, async () => {
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? ''), lang));
        await page.click('#nav-map');
        await page.locator(`#map-plot circle[data-station="${STATION}"]`).waitFor({ timeout: 20_000 });
      });
    });

    it(`station view, ${lang}`, { timeout: 90_000 }, async () => {
      await check('station', lang, async () => {
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? '', 'stations', STATION), lang));
        await page.locator(`#station[data-station="${STATION}"]`).waitFor({ timeout: 20_000 });
        // Every device of the demo station heard from, as an operator sees it once it settles.
        await page.locator('#station [data-device="cabinet-1"][data-status="online"]').waitFor({ timeout: 20_000 });
        await page.locator('#station [data-alarm="slot.overheat.5"]').first().waitFor({ timeout: 20_000 });
      });
    });

    it(`station view of an offline station (last known data), ${lang}`, { timeout: 90_000 }, async () => {
      await check('station-offline', lang, async () => {
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? ''), lang));
        const row = page.locator('.vrow[data-station^="fleet-"][data-status="offline"]').first();
        await row.waitFor({ timeout: 30_000 });
        const id = (await row.getAttribute('data-station')) ?? '';
        await page.goto(withLang(consoleUrl(site.url, broker.wsUrl ?? '', 'stations', id), lang));
        await page.locator(`#station[data-station="${id}"][data-status="offline"]`).waitFor({ timeout: 20_000 });
      });
    });
  }

  describe('the phone page', () => {
    let phoneKey = '';
    const phoneUrl = (lang: Lang, fragment = ''): string => withLang(`${site.url}phone.html`, lang) + fragment;

    for (const lang of LANGS) {
      it(`before a pass, ${lang}`, { timeout: 90_000 }, async () => {
        await check('phone-no-pass', lang, async () => {
          await page.goto(phoneUrl(lang));
          const key = page.locator('#public-key[data-key]');
          await key.waitFor({ timeout: 15_000 });
          phoneKey = (await key.getAttribute('data-key')) ?? '';
          await page.locator('#no-pass').waitFor();
        });
      });
    }

    it('with a pass, and showing its rolling code (both languages)', { timeout: 180_000 }, async () => {
      expect(phoneKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const issuer = await generateIssuerKey('a11y-1');
      const pass = issuePass(issuer, { sub: 'w-a11y-1', phoneKey: new Uint8Array(Buffer.from(phoneKey, 'base64url')), stations: ['a11y-0001'], grants: [{ act: 'unlock', res: 'main-door' }, { act: 'dispense' }] });
      await page.goto('about:blank');
      await page.goto(phoneUrl('en', `#pass=${Buffer.from(pass).toString('base64url')}&station=${DOOR_CODE}`));
      await page.locator('#pass-details[data-sub="w-a11y-1"]').waitFor({ timeout: 10_000 });
      for (const lang of LANGS) {
        await check('phone-pass', lang, async () => {
          await page.goto(phoneUrl(lang));
          await page.locator('#pass-details[data-sub="w-a11y-1"]').waitFor({ timeout: 10_000 });
        });
        await check('phone-code', lang, async () => {
          await page.goto(phoneUrl(lang));
          await page.locator('#pass-details[data-sub="w-a11y-1"]').waitFor({ timeout: 10_000 });
          await page.fill('#station-input', DOOR_CODE);
          await page.check('input[name="grant"][data-act="0"][data-res="main-door"]');
          await page.click('#show-code');
          await page.locator('#code-view[data-step]').waitFor({ timeout: 10_000 });
        });
      }
    });
  });
});
