import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import jsqr from 'jsqr';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config/package-root.js';
import { serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { generatePhoneKey, issuePass, type PassRequest } from '../../simulators/cloud/pass-issuer.js';
import { generateIssuerKey, writeTrustedKeys, type IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { accessEvents, doorReleases, scanText, startDoorStation, type DoorStation } from '../helpers/door-station.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { buildConsole } from './console-site.js';

/*
 * The workers' phone page (console/phone.html) in headless Chromium at a phone's size, against a
 * real gateway and station-sim (door lock and QR scanner on ptys). Online once: the page makes its
 * key, the test issues a pass for it as the cloud would and hands it over by link. Then the site's
 * server is closed and the browser cut off the network, the page is reloaded (its service worker
 * serves it), and the rolling code on screen is read as a scanner reads it: from a screenshot,
 * decoded by jsQR, and sent byte for byte down the scanner's wire. The door must open.
 */

const STATION = 'e2e-phone-0001';
/** `station.code`, the short code on the door that the page signs into the code. */
const DOOR_CODE = 'hz-phone-1';
const SHOTS = join(packageRoot(), 'test-results', 'phone-page');

describe('the phone page in a browser', () => {
  const dir = tempDir('phone-page-');
  let site: StaticServer | undefined;
  let station: DoorStation;
  let chromium: HeadlessBrowser;
  let page: Page;
  let issuer: IssuerKey;
  let phoneKey: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildConsole(join(dir.path, 'site'));
    issuer = await generateIssuerKey('phone-e2e-1');
    writeTrustedKeys(join(dir.path, 'trusted.jwks.json'), [issuer]);
    // No cloud URL: no broker listens where the station looks, it is offline too, as at a door with no signal.
    station = await startDoorStation({ dir: dir.path, station: STATION, code: DOOR_CODE, unlockMs: 2000 });
    site = await serveStatic(join(dir.path, 'site'));
    chromium = await launchChromium();
    page = await chromium.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
  });

  afterAll(async () => {
    await chromium?.close();
    await station?.stop();
    await site?.close();
    dir.remove();
  });

  const phoneUrl = (fragment = ''): string => `${site?.url ?? ''}phone.html${fragment}`;
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
  const pass = (over: Partial<PassRequest> = {}): Uint8Array =>
    issuePass(issuer, { sub: 'w-phone-7', phoneKey: new Uint8Array(Buffer.from(phoneKey, 'base64url')), stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }, { act: 'dispense' }], ...over });

  /** The viewport as a PNG, saved for a person, and what a scanner reads in it. */
  async function shotAndScan(name: string): Promise<string | undefined> {
    const png = await page.screenshot({ path: join(SHOTS, `${name}.png`) });
    const image = PNG.sync.read(png);
    return jsqr.default(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
  }

  const releases = (): Promise<number> => doorReleases(station.control);

  async function scan(text: string): Promise<void> {
    expect((await scanText(station.control, 'scanner-1', text)).status).toBe(200);
  }

  const grantedTo = (sub: string): Array<Record<string, unknown>> => accessEvents(station.dbFile, 'access.granted').filter((d) => d['sub'] === sub);

  it('makes a key on the first visit that no script can read out, shows it, and gets ready for offline use', async () => {
    await page.goto(phoneUrl());
    const key = page.locator('#public-key[data-key]');
    await key.waitFor({ timeout: 15_000 });
    phoneKey = (await key.getAttribute('data-key')) ?? '';
    expect(phoneKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('#key-section').getAttribute('data-extractable')).toBe('false');
    // From the page itself: the stored private key is a CryptoKey the browser will not export.
    // Written as text: the test's own TypeScript has no DOM types; this runs in the page.
    const stored = await page.evaluate(`(async () => {
      const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open('station-phone');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const record = await new Promise((resolve, reject) => {
        const req = db.transaction('keys').objectStore('keys').get('phone');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      db.close();
      const exported = await crypto.subtle.exportKey('pkcs8', record.privateKey).then(() => 'exported', (err) => err.name);
      const k = record.privateKey;
      return { algorithm: k.algorithm.name, extractable: k.extractable, usages: k.usages, exported, keyLength: record.publicRaw.length };
    })()`);
    expect(stored).toEqual({ algorithm: 'Ed25519', extractable: false, usages: ['sign'], exported: 'InvalidAccessError', keyLength: 32 });
    // The key's QR code holds the same text, for the enrolment desk's scanner.
    expect(await shotAndScan('1-key-en')).toBe(phoneKey);
    await page.locator('#offline-state[data-ready="true"]').waitFor({ timeout: 15_000 });
  });

  it("refuses a pass issued for another phone's key, and says so", async () => {
    const other = issuePass(issuer, { sub: 'w-other', phoneKey: generatePhoneKey().publicKey, stations: [STATION], grants: [{ act: 'unlock', res: 'main-door' }] });
    await page.goto(phoneUrl(`#pass=${b64(other)}`));
    await page.locator('#notice[data-kind="refused"][data-problem="other-phone"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#notice').textContent()).toContain("another phone's key");
    expect(await page.locator('#no-pass').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, '2-other-phone-refused-en.png') });
  });

  it('takes its own pass by link and shows what it opens and until when', async () => {
    const own = pass();
    // A fresh load with the link (the refusal above came as a change of fragment on an open page).
    await page.goto('about:blank');
    await page.goto(phoneUrl(`#pass=${b64(own)}&station=${DOOR_CODE}`));
    await page.locator('#notice[data-kind="saved"]').waitFor({ timeout: 10_000 });
    const details = page.locator('#pass-details[data-sub="w-phone-7"]');
    await details.waitFor();
    expect(await details.locator('[data-field="stations"]').textContent()).toBe(STATION);
    expect(await details.locator('[data-field="grants"]').textContent()).toBe('Unlock main-door · Dispense (any)');
    // The fragment is gone from the address: a reload does not take the pass again.
    expect(page.url()).not.toContain('#');
    await page.screenshot({ path: join(SHOTS, '3-pass-en.png') });
  });

  it('offline, with the site gone too, shows a rolling code that opens the door when the scanner reads it', async () => {
    await site?.close();
    site = undefined;
    await chromium.context.setOffline(true);
    await page.reload();
    await page.locator('#pass-details[data-sub="w-phone-7"]').waitFor({ timeout: 10_000 });
    // Nothing reaches the network: a file the service worker does not keep cannot be fetched.
    expect(await page.evaluate(() => fetch('./index.html').then(() => 'fetched', () => 'failed'))).toBe('failed');
    expect(await page.locator('#station-input').inputValue()).toBe(DOOR_CODE);
    await page.check('input[name="grant"][data-act="0"][data-res="main-door"]');
    await page.click('#show-code');
    const view = page.locator('#code-view[data-step]');
    await view.waitFor({ timeout: 10_000 });
    expect(await page.locator('#code-what').textContent()).toBe(`Unlock main-door · at station ${DOOR_CODE}`);
    const text = await shotAndScan('4-code-offline-en');
    expect(text).toMatch(/^RC1:[0-9A-Z $%*+\-./:]+$/);
    expect(Number(await view.getAttribute('data-qr-version'))).toBeLessThanOrEqual(14);

    await scan(text ?? '');
    await waitFor(() => grantedTo('w-phone-7').length > 0, 10_000, 'access.granted for the pass');
    await waitFor(async () => (await releases()) === 1, 10_000, 'the door to open for the phone page\'s code');
    expect(grantedTo('w-phone-7')).toEqual([expect.objectContaining({ res: 'main-door', act: 'unlock', via: 'scanner-1' })]);

    // The code rolls: the next step shows another code.
    const step = Number(await view.getAttribute('data-step'));
    await page.locator(`#code-view[data-step="${step + 1}"]`).waitFor({ timeout: 10_000 });
    const next = await shotAndScan('5-code-next-step-en');
    expect(next).toMatch(/^RC1:/);
    expect(next).not.toBe(text);
  });

  it('speaks Chinese after the switch, remembers it offline, and its code reads the same way', async () => {
    await page.click('#code-done');
    await page.click('#lang-switch');
    await page.locator('html[lang="zh-CN"]').waitFor();
    await page.reload();
    await page.locator('#pass-details[data-sub="w-phone-7"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('#pass-section h2').textContent()).toBe('我的通行证');
    expect(await page.locator('#pass-details [data-field="grants"]').textContent()).toBe('开门 main-door · 取用 (任意)');
    await page.screenshot({ path: join(SHOTS, '6-pass-zh.png') });
    await page.click('#show-code');
    await page.locator('#code-view[data-step]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#code-what').textContent()).toBe(`开门 main-door · 站点 ${DOOR_CODE}`);
    expect(await shotAndScan('7-code-offline-zh')).toMatch(/^RC1:/);
  });
});
