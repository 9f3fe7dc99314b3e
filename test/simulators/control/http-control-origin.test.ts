import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../config/package-root.js';
import { startHttpControl, type HttpControl } from '../../../simulators/control/http-control.js';
import { startSimulators } from '../../../simulators/simulator-set.js';

/*
 * What a web page open on the crew's laptop can do to the control API on 127.0.0.1: a
 * cross-origin "simple" POST (text/plain, no preflight), the same from a DNS-rebound name (Host
 * is the attacker's name), and a JSON POST from a foreign Origin. None may reach a device.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ control: HttpControl; leak: () => Promise<boolean> }> {
  const sim = await startSimulators([{ id: 'water-1', kind: 'water-dispenser', transport: { type: 'modbus-tcp', port: 0 } }], { seed: 3 });
  cleanups.push(() => sim.stop());
  const control = await startHttpControl(sim);
  cleanups.push(() => control.stop());
  const leak = async (): Promise<boolean> => {
    const state = (await (await fetch(`${control.url}/devices/water-1`)).json()) as { leak: boolean };
    return state.leak;
  };
  expect(await leak()).toBe(false);
  return { control, leak };
}

const BODY = JSON.stringify({ command: 'leak on' });

/** node:http, so that the Host header is ours to choose (fetch sets it from the URL). */
function raw(control: HttpControl, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: control.port, method, path: method === 'POST' ? '/devices/water-1/commands' : '/devices', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('control API against web pages', () => {
  it('refuses a cross-origin text/plain POST, as a page on the laptop would send it', async () => {
    const { control, leak } = await setup();
    // What `fetch(url, {method: 'POST', mode: 'no-cors', body})` in a page sends.
    const res = await fetch(`${control.url}/devices/water-1/commands`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'http://evil.example' }, body: BODY });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'SIM_COMMAND' } });
    // A JSON POST from a foreign origin (it would need a preflight, but refuse it anyway).
    expect((await fetch(`${control.url}/devices/water-1/commands`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: BODY })).status).toBe(403);
    expect((await fetch(`${control.url}/devices/water-1/commands`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'null' }, body: BODY })).status).toBe(403);
    expect(await leak()).toBe(false);
  });

  it('refuses a POST that is not JSON even without an Origin (415)', async () => {
    const { control, leak } = await setup();
    const res = await fetch(`${control.url}/devices/water-1/commands`, { method: 'POST', body: BODY });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'SIM_COMMAND' } });
    expect((await raw(control, 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, BODY)).status).toBe(415);
    expect(await leak()).toBe(false);
  });

  it('refuses a DNS-rebound name in Host, for reads and writes', async () => {
    const { control, leak } = await setup();
    const rebound = `attacker.example:${control.port}`;
    expect(await raw(control, 'GET', { host: rebound })).toMatchObject({ status: 403, json: { ok: false } });
    expect((await raw(control, 'POST', { host: rebound, 'content-type': 'application/json' }, BODY)).status).toBe(403);
    expect((await raw(control, 'POST', { host: `127.0.0.1:${control.port + 1}`, 'content-type': 'application/json' }, BODY)).status).toBe(403);
    expect(await leak()).toBe(false);
  });

  it('serves its own origin, localhost and the README\'s curl command', async () => {
    const { control, leak } = await setup();
    expect((await raw(control, 'GET', { host: `localhost:${control.port}` })).status).toBe(200);
    const own = await fetch(`${control.url}/devices/water-1/commands`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', origin: control.url }, body: JSON.stringify({ command: 'leak off' }) });
    expect(own.status).toBe(200);
    // The README's example, word for word but for the port.
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    const line = /^curl -s -X POST http:\/\/127\.0\.0\.1:PORT\/devices\/water-1\/commands .*$/m.exec(readme)?.[0];
    expect(line).toBeDefined();
    const args = [...(line ?? '').matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '').slice(1).map((a) => a.replace('PORT', String(control.port)));
    const out = await new Promise<string>((resolve, reject) => execFile('curl', args, { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    expect(JSON.parse(out)).toEqual({ ok: true, result: 'leak on' });
    expect(await leak()).toBe(true);
  });
});
