import { writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../../../gateway/ops/health-monitor.js';
import { Liveness } from '../../../../gateway/ops/liveness.js';
import { StationMetrics } from '../../../../gateway/ops/station-metrics.js';
import type { StationView } from '../../../../gateway/ops/station-view.js';
import { LoginThrottle } from '../../../../gateway/ops/status-page/login-throttle.js';
import { startStatusPage, type RunningStatusPage, type StatusPageOptions } from '../../../../gateway/ops/status-page/status-page-server.js';
import type { StationEvent } from '../../../../cloud-bridge/outbox-port.js';
import { tempDir } from '../../../helpers/temp-dir.js';
import { waitFor } from '../../../helpers/wait-for.js';

/*
 * The status page's limits over real HTTP on loopback: failed logins are throttled per client
 * address (127.0.0.1, 127.0.0.2, ... are distinct clients on Linux loopback) and globally, and
 * live streams are capped and closed when their client stops reading.
 */

const PASSWORD = 'correct horse battery';
const basic = (password: string): string => `Basic ${Buffer.from(`crew:${password}`).toString('base64')}`;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Page {
  page: RunningStatusPage & { view: StationView };
  emit(e: StationEvent): void;
  logs: Array<Record<string, unknown>>;
}

async function startPage(extra: Partial<StatusPageOptions> = {}): Promise<Page> {
  const listeners = new Set<(e: StationEvent) => void>();
  const view: StationView = {
    stationId: 'limits-st-0001',
    devices: [],
    timeoutMs: () => 1000,
    outboxPending: () => 0,
    oldestPendingAt: () => undefined,
    cloudConnected: () => false,
    alarms: () => [],
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onAlarms: () => () => undefined,
  };
  const dir = tempDir();
  cleanups.push(() => dir.remove());
  const passwordFile = join(dir.path, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  const logs: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  const health = new HealthMonitor(new Liveness({ devices: [], timeoutMs: () => 1000, loopLagMs: () => 0 }), 60_000);
  const page = await startStatusPage({ listen: '127.0.0.1:0', user: 'crew', passwordFile, view, health, log, pushEveryMs: 60_000, ...extra });
  cleanups.push(() => page.close());
  return { page: Object.assign(page, { view }), logs, emit: (e) => listeners.forEach((l) => l(e)) };
}

/** One GET from a chosen loopback source address; the body is read to the end. */
function get(page: RunningStatusPage, path: string, from: string, authorization?: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: page.port, path, localAddress: from, agent: false, headers: authorization ? { authorization } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open event stream from `from`, counting the frames it has read. */
function openStream(page: RunningStatusPage, from: string): Promise<{ status: number; frames: () => number; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: page.port, path: '/api/stream', localAddress: from, agent: false, headers: { authorization: basic(PASSWORD) } }, (res) => {
      let text = '';
      let frames = 0;
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        const parts = text.split('\n\n');
        frames += parts.length - 1;
        text = parts.at(-1) ?? '';
      });
      cleanups.push(() => void res.destroy());
      resolve({ status: res.statusCode ?? 0, frames: () => frames, res });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('status page failed-login throttle', () => {
  it('slows a burst of wrong passwords from one address; the right one works from another address, and after the lock-out', async () => {
    let now = 0;
    const throttle = new LoginThrottle({ now: () => now, freeFailures: 5, baseLockMs: 1000 });
    const { page, logs } = await startPage({ throttle });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await get(page, '/api/status', '127.0.0.1', basic(`guess-${i}`))).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);

    // Locked out: even the right password is not looked at from this address.
    const locked = await get(page, '/api/status', '127.0.0.1', basic(PASSWORD));
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThanOrEqual(1);
    // The crew on another address is not affected.
    expect((await get(page, '/api/status', '127.0.0.2', basic(PASSWORD))).status).toBe(200);

    // The lock-out doubles with each further failure: 1 s after the 6th wrong guess, then 2 s, ...
    now += 1001;
    expect((await get(page, '/api/status', '127.0.0.1', basic('guess-again'))).status).toBe(401);
    expect((await get(page, '/api/status', '127.0.0.1', basic(PASSWORD))).status).toBe(429);
    now += 1500;
    expect((await get(page, '/api/status', '127.0.0.1', basic(PASSWORD))).status).toBe(429);
    now += 600;
    expect((await get(page, '/api/status', '127.0.0.1', basic(PASSWORD))).status).toBe(200);

    expect(page.loginCounts()).toEqual({ failed: 6, refused: 38 });
    // A browser's first request carries no credentials: a plain 401, not a failed login.
    expect((await get(page, '/', '127.0.0.3')).status).toBe(401);
    expect(page.loginCounts().failed).toBe(6);
    const liveness = new Liveness({ devices: [], timeoutMs: () => 1000, loopLagMs: () => 0 });
    const metrics = new StationMetrics(page.view, new HealthMonitor(liveness, 60_000), liveness, { logins: () => throttle.counts() });
    cleanups.push(() => metrics.stop());
    const text = await metrics.text();
    expect(text).toContain('station_status_page_logins_refused_total{reason="wrong",station="limits-st-0001"} 6');
    expect(text).toContain('station_status_page_logins_refused_total{reason="throttled",station="limits-st-0001"} 38');

    // Logged, but not once per guess: one line at once, then one summary per window.
    await page.close();
    const lines = logs.filter((l) => l['code'] === 'STATUS_PAGE_LOGIN');
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatchObject({ remote: '127.0.0.1' });
    expect(lines[1]).toMatchObject({ failed: 5, refused: 38, top: [{ remote: '127.0.0.1', attempts: 43 }] });
  });

  it('a flood from many addresses refuses strangers once the global budget is spent, not a browser that logged in before', async () => {
    let now = 0;
    const throttle = new LoginThrottle({ now: () => now, globalFailures: 10, globalWindowMs: 60_000 });
    const { page } = await startPage({ throttle });
    expect((await get(page, '/api/status', '127.0.0.1', basic(PASSWORD))).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await get(page, '/api/status', `127.0.1.${i + 1}`, basic('guess'))).status).toBe(401);
    const stranger = await get(page, '/api/status', '127.0.2.1', basic('guess'));
    expect(stranger.status).toBe(429);
    expect(Number(stranger.retryAfter)).toBe(60);
    expect((await get(page, '/api/status', '127.0.0.1', basic(PASSWORD))).status).toBe(200);
    now += 60_001;
    expect((await get(page, '/api/status', '127.0.2.1', basic(PASSWORD))).status).toBe(200);
  });
});

describe('status page live streams', () => {
  it('refuses streams over the cap in all (503) and per address (429)', async () => {
    const { page } = await startPage({ streamLimits: { max: 3, perClient: 2 } });
    expect((await openStream(page, '127.0.0.1')).status).toBe(200);
    expect((await openStream(page, '127.0.0.1')).status).toBe(200);
    const third = await get(page, '/api/stream', '127.0.0.1', basic(PASSWORD));
    expect(third.status).toBe(429);
    expect((await openStream(page, '127.0.0.2')).status).toBe(200);
    const full = await get(page, '/api/stream', '127.0.0.3', basic(PASSWORD));
    expect(full).toMatchObject({ status: 503, retryAfter: '10' });
    // The snapshot itself is not capped.
    expect((await get(page, '/api/status', '127.0.0.3', basic(PASSWORD))).status).toBe(200);
  });

  it('closes a stream whose client does not read, while another keeps receiving', async () => {
    const { page, emit } = await startPage({ streamLimits: { maxBufferedBytes: 256 * 1024 } });
    const reader = await openStream(page, '127.0.0.1');
    expect(reader.status).toBe(200);
    // A client that sends its request and never reads a byte of the answer.
    const stalled: Socket = connect({ host: '127.0.0.1', port: page.port, localAddress: '127.0.0.2' });
    cleanups.push(() => void stalled.destroy());
    stalled.pause();
    await new Promise<void>((r) => stalled.once('connect', () => r()));
    stalled.write(`GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic(PASSWORD)}\r\n\r\n`);
    await waitFor(() => reader.frames() >= 1, 5_000, 'the first frame');

    // Big events make big snapshots (the last 20 events ride along): megabytes soon, well past
    // what the loopback socket buffers take, so only the stalled client's backlog grows.
    const blob = 'x'.repeat(2_000);
    let n = 0;
    const deadline = Date.now() + 30_000;
    while (page.droppedStreams() === 0 && Date.now() < deadline) {
      for (let i = 0; i < 3; i++) emit({ id: `ev-${n}`, ts: new Date().toISOString(), type: 'test.blob', data: { n: n++, blob } });
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(page.droppedStreams()).toBe(1);
    const before = reader.frames();
    for (let i = 0; i < 5; i++) {
      emit({ id: `ev-after-${i}`, ts: new Date().toISOString(), type: 'test.small', data: {} });
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => reader.frames() >= before + 5, 10_000, 'frames after the stalled stream was closed');
    expect(reader.res.destroyed).toBe(false);
  }, 45_000);
});
