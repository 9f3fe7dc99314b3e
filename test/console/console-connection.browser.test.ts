import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { listen } from '../../config/listen.js';
import { packageRoot } from '../../config/package-root.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildConsole, inLanguage } from './console-site.js';

/*
 * A failed connection says why, against real listeners on 127.0.0.1: the embedded broker with an
 * account (a wrong password), a port with nothing on it, a web server that will not upgrade to a
 * WebSocket (a wrong path), a port that takes the connection and says nothing, and the right
 * broker under a prefix that has no stations. Waits are on what the page shows.
 */

const USER = 'operator-anna';
const PASSWORD = 'right-horse-battery';

describe('console connection errors in a browser', () => {
  const dir = tempDir('console-conn-');
  let broker: EmbeddedBroker;
  let site: StaticServer;
  let chromium: HeadlessBrowser;
  let page: Page;
  let notFound: HttpServer;
  let silent: Server;
  const held = new Set<Socket>();

  const open = (url: string, params: Record<string, string>): string => {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  };
  const shot = async (name: string): Promise<void> => {
    const out = join(packageRoot(), 'test-results', 'console');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, `${name}.png`) });
  };
  const linkText = async (): Promise<string> => (await page.locator('#link-state').textContent()) ?? '';

  beforeAll(async () => {
    buildConsole(`${dir.path}/site`);
    broker = await startEmbeddedBroker({ port: 0, wsPort: 0, users: { [USER]: PASSWORD } });
    site = await serveStatic(`${dir.path}/site`);
    // One station under the fleet's prefix, so that only the wrong prefix is empty.
    const station = await mqtt.connectAsync(broker.url, { protocolVersion: 4, username: USER, password: PASSWORD });
    await station.publishAsync('stations/conn-1/status', JSON.stringify({ online: true, ts: new Date().toISOString(), version: '0.1.0', bootId: '01JR8Y3M2Q4K5N6P7R8S9T0V1W', devices: [] }), { qos: 1, retain: true });
    await station.endAsync();
    // As EMQX answers a WebSocket on a path other than /mqtt: a plain HTTP 404.
    notFound = createHttpServer((_req, res) => res.writeHead(404).end('not found'));
    await listen(notFound, 0, '127.0.0.1');
    // Takes the TCP connection and never answers: what a black-holed address looks like, sooner.
    silent = createServer((s) => {
      held.add(s);
      s.on('close', () => held.delete(s));
    });
    await listen(silent, 0, '127.0.0.1');
    chromium = await launchChromium();
  }, 60_000);

  beforeEach(async () => {
    page = await chromium.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  afterEach(async () => {
    await page?.close();
  });

  afterAll(async () => {
    await chromium?.close();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (notFound ? notFound.close(() => resolve()) : resolve()));
    await site?.close();
    await broker?.close();
    dir.remove();
  });

  const port = (s: Server | HttpServer): number => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  };

  it('says the user name or password was refused (CONNACK 4), and stops retrying', async () => {
    await page.goto(inLanguage('en', open(consoleUrl(site.url, broker.wsUrl ?? ''), { username: USER, password: 'wrong' })));
    await page.locator('#link-state[data-state="error"][data-reason="auth"]').waitFor({ timeout: 15_000 });
    expect(await linkText()).toContain('refused the user name or password');
    expect(await linkText()).not.toContain('retrying');
    // Back to the form, the account kept and the password not.
    expect(await page.locator('#connect-form input[name="username"]').inputValue()).toBe(USER);
    expect(await page.locator('#connect-form input[name="password"]').inputValue()).toBe('');
    await shot('connection-auth');
  });

  it('says nothing is listening on a port with no server', async () => {
    const free = await freePort();
    await page.goto(inLanguage('en', consoleUrl(site.url, `ws://127.0.0.1:${free}`)));
    await page.locator('#link-state[data-reason="refused"]').waitFor({ timeout: 15_000 });
    expect(await linkText()).toContain('Nothing is listening');
    await shot('connection-refused');
  });

  it('says the WebSocket was closed at once by a web server that will not upgrade (a wrong path)', async () => {
    await page.goto(inLanguage('en', consoleUrl(site.url, `ws://127.0.0.1:${port(notFound)}/not-mqtt`)));
    await page.locator('#link-state[data-reason="closed"]').waitFor({ timeout: 15_000 });
    expect(await linkText()).toContain('the path may be wrong');
    await shot('connection-closed');
  });

  it('says the connection timed out when the port never answers', async () => {
    await page.goto(inLanguage('en', consoleUrl(site.url, `ws://127.0.0.1:${port(silent)}`)));
    await page.locator('#link-state[data-reason="timeout"]').waitFor({ timeout: 25_000 });
    expect(await linkText()).toContain('timed out');
    await shot('connection-timeout');
  }, 30_000);

  it('says which prefix has no stations, and finds the station under the right one', async () => {
    await page.goto(inLanguage('en', open(consoleUrl(site.url, broker.wsUrl ?? '', 'fleet-b'), { username: USER, password: PASSWORD })));
    await page.locator('#link-state[data-state="no-stations"]').waitFor({ timeout: 15_000 });
    expect(await linkText()).toContain('“fleet-b” (fleet-b/+/status)');
    expect(await linkText()).toContain('prefix may be different');
    await shot('connection-no-stations');
    await page.goto(inLanguage('en', open(consoleUrl(site.url, broker.wsUrl ?? ''), { username: USER, password: PASSWORD })));
    await page.locator('.vrow[data-station="conn-1"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#link-state').getAttribute('data-state')).toBe('connected');
  });

  it('words a refused login in Chinese, and switches the whole frame to English and keeps it', async () => {
    await page.goto(inLanguage('zh-CN', open(consoleUrl(site.url, broker.wsUrl ?? ''), { username: USER, password: 'wrong' })));
    await page.locator('#link-state[data-reason="auth"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await linkText()).toContain('用户名或密码不对');
    expect(await page.locator('#nav-map').textContent()).toBe('地图');
    const sw = page.locator('button#lang-switch');
    expect(await sw.textContent()).toBe('English');
    expect(await sw.getAttribute('lang')).toBe('en');
    await shot('connection-auth-zh');
    await sw.click();
    await page.locator('html[lang="en"]').waitFor();
    expect(await linkText()).toContain('refused the user name or password');
    expect(await page.locator('#nav-map').textContent()).toBe('Map');
    expect(await page.locator('#connect-form h2').textContent()).toBe('Connect to the broker');
    expect(await page.locator('#connect-form input[name="username"]').inputValue()).toBe(USER);
    expect(await sw.textContent()).toBe('中文');
    // The pick is remembered and the link's `?lang=` dropped: a reload stays in English.
    expect(new URL(page.url()).searchParams.has('lang')).toBe(false);
    await page.reload();
    await page.locator('html[lang="en"]').waitFor();
    expect(await page.locator('button#lang-switch').textContent()).toBe('中文');
  });
});
