import mqtt from 'mqtt';
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { fleetTopics } from '../../console/src/broker-link.js';
import { consoleUrl, serveStatic, type StaticServer } from '../../gateway/cli/static-server.js';
import { buildConsole } from '../console/console-site.js';
import { launchChromium, type HeadlessBrowser } from '../helpers/browser.js';
import { tempDir } from '../helpers/temp-dir.js';
import { loadRetained, retainedFleet } from './retained-fleet-loader.js';
import { reportBench } from './bench-report.js';

/*
 * A province's fleet in the operator console: 12,000 stations' retained topics (status, alarms,
 * availability, four devices each) on an in-process aedes, then the console opened in headless
 * Chromium over MQTT over WebSocket. Measured: time until the fleet view is usable (all 12,000
 * counted and the list rendered), until every retained message is applied, and the page's JS heap;
 * against a plain MQTT.js client merely receiving the same retained messages over the same
 * WebSocket listener, in the same run. Numbers are printed, never asserted.
 */

const STATIONS = Number(process.env['CONSOLE_BENCH_STATIONS'] ?? 12_000);
/** Where the time goes: set to a file path to record the page's CPU profile of the load (.cpuprofile, for DevTools). */
const PROFILE = process.env['CONSOLE_BENCH_PROFILE'];
/** Or a file path for a timeline trace (devtools.timeline) of the whole load: what "(program)" in a profile is. */
const TRACE = process.env['CONSOLE_BENCH_TRACE'];
const dir = tempDir('bench-console-');
let broker: EmbeddedBroker;
let site: StaticServer;
let chromium: HeadlessBrowser;
let total = 0;
const results: Record<string, number> = {};

beforeAll(async () => {
  buildConsole(`${dir.path}/site`);
  broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  site = await serveStatic(`${dir.path}/site`);
  const messages = retainedFleet(STATIONS);
  total = messages.length;
  const bytes = messages.reduce((n, [t, p]) => n + t.length + p.length, 0);
  await loadRetained(broker.url, messages);
  console.log(`loaded ${total} retained messages (${(bytes / 1e6).toFixed(1)} MB) for ${STATIONS} stations`);
  chromium = await launchChromium();
}, 300_000);

afterAll(async () => {
  const { plain, usable, complete } = results;
  if (plain && usable && complete) {
    console.log(`console usable / plain client: ${(usable / plain).toFixed(2)}x; all applied / plain client: ${(complete / plain).toFixed(2)}x`);
    const row = { bench: `operator console, ${STATIONS} stations' retained state`, unit: 's', baselineName: 'plain mqtt.js client receives it all', baseline: plain / 1000, higherIsBetter: false };
    reportBench({ ...row, figure: 'fleet view usable', gateway: usable / 1000 });
    reportBench({ ...row, figure: 'every message applied', gateway: complete / 1000 });
  }
  await chromium?.close();
  await site?.close();
  await broker?.close();
  dir.remove();
});

const once = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

async function jsHeapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1e6;
}

/** The 25 functions with the most self time, and idle/GC/program, as `ms  name  url:line`. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }>;
  samples?: number[];
  timeDeltas?: number[];
}

function topFunctions(profile: CpuProfile): string[] {
  const interval = new Map<number, number>();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => interval.set(id, (interval.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const self = new Map<string, number>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.split('/').pop() ?? ''}:${f.lineNumber}:${f.columnNumber}`;
    self.set(key, (self.get(key) ?? 0) + (interval.get(n.id) ?? 0));
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${k}`);
}

describe(`${STATIONS} stations' retained state`, () => {
  bench(
    'plain MQTT.js client over WebSocket: receive every retained message',
    async () => {
      const started = performance.now();
      const client = await mqtt.connectAsync(broker.wsUrl ?? '', { protocolVersion: 4, clean: true });
      let received = 0;
      const done = new Promise<void>((resolve) =>
        client.on('message', () => {
          if (++received === total) resolve();
        }),
      );
      await client.subscribeAsync(fleetTopics('stations'), { qos: 0 });
      await done;
      results['plain'] = performance.now() - started;
      console.log(`plain client: ${total} messages in ${(results['plain'] / 1000).toFixed(2)} s`);
      await client.endAsync(true);
    },
    once,
  );

  bench(
    'operator console in Chromium: fleet view usable',
    async () => {
      const page = await chromium.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      const cdp = PROFILE ? await page.context().newCDPSession(page) : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
        await cdp.send('Profiler.start');
      }
      const tracer = TRACE ? await page.context().newCDPSession(page) : undefined;
      const traced: unknown[] = [];
      if (tracer) {
        tracer.on('Tracing.dataCollected', (e) => traced.push(...e.value));
        await tracer.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,toplevel', transferMode: 'ReportEvents' });
      }
      const started = performance.now();
      await page.goto(consoleUrl(site.url, broker.wsUrl ?? ''));
      // Strings, evaluated in the page: the predicates read what the fleet view shows.
      const shown = "document.querySelector('#fleet-counts')?.dataset";
      await page.waitForFunction(`Number(${shown}?.total) === ${STATIONS} && Number(${shown}?.rows) > 0`, undefined, { timeout: 300_000, polling: 50 });
      results['usable'] = performance.now() - started;
      await page.waitForFunction(`Number(${shown}?.received) >= ${total}`, undefined, { timeout: 300_000, polling: 50 });
      results['complete'] = performance.now() - started;
      if (cdp && PROFILE) {
        const { profile } = await cdp.send('Profiler.stop');
        writeFileSync(PROFILE, JSON.stringify(profile));
        console.log(`CPU profile written to ${PROFILE}; by self time:\n${topFunctions(profile).join('\n')}`);
        await cdp.detach();
      }
      if (tracer && TRACE) {
        const complete = new Promise<void>((resolve) => tracer.once('Tracing.tracingComplete', () => resolve()));
        await tracer.send('Tracing.end');
        await complete;
        writeFileSync(TRACE, JSON.stringify({ traceEvents: traced }));
        await tracer.detach();
      }
      const heap = await jsHeapMB(page);
      const rows = await page.locator('.vlist .vrow').count();
      console.log(
        `console: usable (${STATIONS} counted, ${rows} rows in the DOM) after ${(results['usable'] / 1000).toFixed(2)} s; all ${total} applied after ${(results['complete'] / 1000).toFixed(2)} s; JS heap ${heap.toFixed(1)} MB`,
      );
      await page.close();
    },
    once,
  );
});
