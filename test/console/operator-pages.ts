import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connectAsync, type MqttClient } from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { generatePhoneKey, issuePass, rollingCode, type PassRequest } from '../../simulators/cloud/pass-issuer.js';
import type { IssuerKey } from '../../simulators/cloud/token-issuer.js';
import { CHROMIUM } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait-for.js';

/*
 * For the station-service and station-history browser tests: browser contexts side by side (each
 * its own IndexedDB, so its own operator key), each given an operator pass for the key its page
 * made, issued here with simulators/cloud/pass-issuer.ts as the fleet would; and a worker's
 * rolling code sent as a cloud command, as a phone app's would be.
 */

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Debian's Chromium with the flags of PITFALLS.md; contexts made from it share nothing. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface OperatorPage {
  name: string;
  lang: 'zh-CN' | 'en';
  context: BrowserContext;
  page: Page;
  sub: string;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * Opens `url` (the console on the station) in a new context, reads the operator key the page made,
 * issues an operator pass for it and hands it to the page as a `#pass=` link; resolves once the
 * panel shows the pass and the station view is back.
 */
export async function openOperatorPage(
  browser: Browser,
  o: { name: string; lang: 'zh-CN' | 'en'; viewport: { width: number; height: number }; url: string; issuer: IssuerKey; station: string; grants: PassRequest['grants'] },
): Promise<OperatorPage> {
  const context = await browser.newContext({ viewport: o.viewport, locale: o.lang, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(o.url);
  const key = await page.locator('#operator-public-key').getAttribute('data-key', { timeout: 20_000 });
  if (!key) throw new Error('the page shows no operator key');
  const sub = `op-${o.name}`;
  const pass = issuePass(o.issuer, { sub, role: 'operator', phoneKey: new Uint8Array(Buffer.from(key, 'base64url')), stations: [o.station], grants: o.grants, ttlSeconds: 3600 });
  // A string, not a function: the test is typechecked without the DOM's globals.
  await page.evaluate(`location.hash = ${JSON.stringify(`#pass=${b64(pass)}&station=${encodeURIComponent(o.station)}`)}`);
  await page.locator('#operator-pass').waitFor({ state: 'attached', timeout: 20_000 });
  await page.locator(`#station[data-station="${o.station}"]`).waitFor({ timeout: 20_000 });
  return { name: o.name, lang: o.lang, context, page, sub };
}

/** A worker's phone: a pass for `grants` at `station`, and codes from it sent as `cmd/<act>`. */
export class WorkerPhone {
  private readonly key = generatePhoneKey();
  private readonly pass: Uint8Array;
  private seq = 0;

  constructor(
    issuer: IssuerKey,
    private readonly station: string,
    grants: PassRequest['grants'],
    sub = 'w-night-1',
  ) {
    this.pass = issuePass(issuer, { sub, phoneKey: this.key.publicKey, stations: [station], grants });
  }

  /** Sends a code for `act` on `res` as the cloud would, and resolves with the station's reply. */
  async request(client: MqttClient, prefix: string, act: 'unlock' | 'swap' | 'dispense', res: string): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
    const id = `worker-${process.pid}-${++this.seq}-${Date.now()}`;
    const replyTo = `${prefix}/${this.station}/replies/${id}`;
    let reply: { ok: boolean; error?: { code: string; message: string } } | undefined;
    const onMessage = (topic: string, payload: Buffer): void => {
      if (topic === replyTo) reply = JSON.parse(payload.toString('utf8')) as typeof reply;
    };
    client.on('message', onMessage);
    try {
      await client.subscribeAsync(replyTo, { qos: 1 });
      const token = rollingCode(this.pass, this.key, { act, res, station: this.station });
      await client.publishAsync(`${prefix}/${this.station}/cmd/${act}`, JSON.stringify({ token, replyTo, correlationId: id }), { qos: 1 });
      return await waitFor(() => reply, 15_000, `the reply to ${act} ${res}`);
    } finally {
      client.off('message', onMessage);
      await client.unsubscribeAsync(replyTo);
    }
  }
}

export function brokerClient(url: string): Promise<MqttClient> {
  return connectAsync(url, { protocolVersion: 4, clientId: `test-cloud-${process.pid}-${Date.now()}`, reconnectPeriod: 0 });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] };

/**
 * axe-core's serious and critical findings within `selector` (as test/console/console-a11y does
 * for whole views), each as one line naming the rule, the element and the help.
 */
export async function axeBlocking(page: Page, selector: string): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // Written as text: the test's own TypeScript has no DOM types; this runs in the page.
  const found = (await page.evaluate(`axe.run({ include: [[${JSON.stringify(selector)}]] }, ${JSON.stringify(AXE_OPTIONS)}).then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => v.id + ': ' + v.help + ' at ' + n.target.join(' ') + ' ' + n.html.slice(0, 120))))`)) as string[];
  return found;
}
