import mqtt from 'mqtt';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../cloud-bridge/embedded-broker.js';
import { fleetTopics } from '../../console/src/link-worker/link-protocol.js';
import { applyMessage, createFleet, type Fleet } from '../../console/src/fleet-model.js';
import { DEFAULT_QUERY, queryFleet, stationStatus, type FleetFilter } from '../../console/src/fleet-query.js';
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
 * counted and the list rendered), until every retained message is applied, and the page's JS heap.
 * The baseline is a plain MQTT.js client merely receiving the same retained messages over the same
 * WebSocket listener in the same Chromium (MQTT.js' own browser bundle on an empty page); a plain
 * MQTT.js client in Node is measured beside it, for reference. Each round measures all three, the
 * two in the browser in alternating order; the rows reported are the medians. After each console
 * load (untimed) the list is checked against the fleet model built in Node from the same messages:
 * counts, filters, order, and each rendered row's station, status and worst alarm. Numbers are
 * printed, never asserted; a wrong list fails the bench.
 *
 * Run it in one project, or each project runs it again: `npx vitest bench --run --project
 * bench test/bench/console-fleet.bench.ts`.
 */

const STATIONS = Number(process.env['CONSOLE_BENCH_STATIONS'] || 12_000);
const ROUNDS = Number(process.env['CONSOLE_BENCH_ROUNDS'] || 3);
/** Where the time goes: set to a file path to record the page's CPU profile of the load (.cpuprofile, for DevTools). */
const PROFILE = process.env['CONSOLE_BENCH_PROFILE'];
/** Or a file path for a timeline trace (devtools.timeline) of the whole load: what "(program)" in a profile is. */
const TRACE = process.env['CONSOLE_BENCH_TRACE'];
const dir = tempDir('bench-console-');
let broker: EmbeddedBroker;
let site: StaticServer;
let chromium: HeadlessBrowser;
let total = 0;
/** The fleet as the console must show it: the same messages applied in Node. */
let expected: Fleet;
interface Round {
  node: number;
  browser: number;
  usable: number;
  complete: number;
}
const rounds: Round[] = [];

beforeAll(async () => {
  buildConsole(`${dir.path}/site`);
  broker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  site = await serveStatic(`${dir.path}/site`);
  const messages = retainedFleet(STATIONS);
  total = messages.length;
  expected = createFleet('stations');
  for (const [topic, payload] of messages) applyMessage(expected, topic, payload);
  const bytes = messages.reduce((n, [t, p]) => n + t.length + p.length, 0);
  await loadRetained(broker.url, messages);
  console.log(`loaded ${total} retained messages (${(bytes / 1e6).toFixed(1)} MB) for ${STATIONS} stations`);
  chromium = await launchChromium();
}, 300_000);

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

afterAll(async () => {
  if (rounds.length > 0) {
    const m = { node: median(rounds.map((r) => r.node)), browser: median(rounds.map((r) => r.browser)), usable: median(rounds.map((r) => r.usable)), complete: median(rounds.map((r) => r.complete)) };
    const ratios = rounds.map((r) => (r.complete / r.browser).toFixed(2)).join(', ');
    console.log(
      `medians of ${rounds.length} rounds: plain client in Chromium ${(m.browser / 1000).toFixed(2)} s, in Node ${(m.node / 1000).toFixed(2)} s; console usable ${(m.usable / 1000).toFixed(2)} s, all applied ${(m.complete / 1000).toFixed(2)} s\n` +
        `all applied / plain client in Chromium: ${(m.complete / m.browser).toFixed(2)}x (rounds: ${ratios}); / plain client in Node: ${(m.complete / m.node).toFixed(2)}x`,
    );
    const row = { bench: `operator console, ${STATIONS} stations' retained state`, unit: 's', higherIsBetter: false };
    const inBrowser = { ...row, baselineName: 'plain mqtt.js client in the same Chromium receives it all', baseline: m.browser / 1000 };
    reportBench({ ...inBrowser, figure: 'fleet view usable', gateway: m.usable / 1000 });
    reportBench({ ...inBrowser, figure: 'every message applied', gateway: m.complete / 1000 });
    reportBench({ ...row, baselineName: 'plain mqtt.js client in Node receives it all', baseline: m.node / 1000, figure: 'every message applied', gateway: m.complete / 1000 });
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

const mqttBrowserBundle = createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min');

/**
 * The baseline in the browser: MQTT.js's own browser bundle (the version the console bundles), on
 * a page with nothing else, counting messages without reading them, over the same listener.
 */
function plainClientPage(wsUrl: string, topics: string[], expected: number): string {
  const script = `
    const client = mqtt.connect(${JSON.stringify(wsUrl)}, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    let received = 0;
    client.on('message', () => { if (++received === ${expected}) { window.plainDone = true; client.end(true); } });
    client.on('connect', () => client.subscribe(${JSON.stringify(topics)}, { qos: 0 }));`;
  return `<!doctype html><html><head><meta charset="utf-8"><script>${readFileSync(mqttBrowserBundle, 'utf8')}</script></head><body><script>${script}</script></body></html>`;
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

/** A plain MQTT.js client in Node: ms until every retained message arrived. */
async function plainNode(): Promise<number> {
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
  const ms = performance.now() - started;
  await client.endAsync(true);
  return ms;
}

/** MQTT.js' browser bundle alone in a page of the same Chromium: ms until every retained message arrived. */
async function plainChromium(): Promise<number> {
  const page = await chromium.newPage();
  const started = performance.now();
  await page.setContent(plainClientPage(broker.wsUrl ?? '', fleetTopics('stations'), total));
  await page.waitForFunction('window.plainDone === true', undefined, { timeout: 300_000, polling: 50 });
  const ms = performance.now() - started;
  await page.close();
  return ms;
}

/** The console: ms until usable and until every message is applied; profiled or traced when asked. */
async function consoleLoad(observe: boolean): Promise<{ usable: number; complete: number }> {
  const page = await chromium.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const cdp = observe && PROFILE ? await page.context().newCDPSession(page) : undefined;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const tracer = observe && TRACE ? await page.context().newCDPSession(page) : undefined;
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
  const usable = performance.now() - started;
  await page.waitForFunction(`Number(${shown}?.received) >= ${total}`, undefined, { timeout: 300_000, polling: 50 });
  const complete = performance.now() - started;
  if (cdp && PROFILE) {
    // The page's main thread only: the link's worker is a target of its own (see TRACE for both).
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(PROFILE, JSON.stringify(profile));
    console.log(`CPU profile written to ${PROFILE}; by self time:\n${topFunctions(profile).join('\n')}`);
    await cdp.detach();
  }
  if (tracer && TRACE) {
    const finished = new Promise<void>((resolve) => tracer.once('Tracing.tracingComplete', () => resolve()));
    await tracer.send('Tracing.end');
    await finished;
    writeFileSync(TRACE, JSON.stringify({ traceEvents: traced }));
    console.log(`trace written to ${TRACE}:\n${traceSummary(traced).join('\n')}`);
    await tracer.detach();
  }
  const heap = await jsHeapMB(page);
  const rows = await page.locator('.vlist .vrow').count();
  console.log(`console: usable (${STATIONS} counted, ${rows} rows in the DOM) after ${(usable / 1000).toFixed(2)} s; all ${total} applied after ${(complete / 1000).toFixed(2)} s; JS heap ${heap.toFixed(1)} MB`);
  await checkList(page);
  await page.close();
  return { usable, complete };
}

/**
 * What the list shows after the load against the fleet built in Node from the same messages: for
 * each filter, the count shown and every rendered row (its place in the order, station, status,
 * worst alarm); and a search for one station id. Throws on the first difference.
 */
async function checkList(page: Page): Promise<void> {
  const cases: Array<{ filter: FleetFilter; text: string }> = [
    { filter: 'offline', text: '' },
    { filter: 'critical', text: '' },
    { filter: 'no-batteries', text: '' },
    { filter: 'all', text: [...expected.stations.keys()][Math.floor(STATIONS / 2)] ?? '' },
    { filter: 'all', text: '' },
  ];
  for (const c of cases) {
    await page.locator(`button[data-filter="${c.filter}"]`).click();
    await page.locator('#fleet-search').fill(c.text);
    const want = queryFleet(expected.stations.values(), { ...DEFAULT_QUERY, filter: c.filter, text: c.text });
    await page.waitForFunction(`Number(document.querySelector('#fleet-counts')?.dataset.shown) === ${want.length}`, undefined, { timeout: 10_000, polling: 50 });
    const got = await page.evaluate<Array<Record<string, string>>>("[...document.querySelectorAll('.vlist .vrow:not([hidden])')].map((r) => ({ ...r.dataset }))");
    if (want.length > 0 && got.length === 0) throw new Error(`${c.filter} "${c.text}": no rows rendered`);
    for (const row of got) {
      const s = want[Number(row['index'])];
      const wanted = s && { station: s.id, status: stationStatus(s), severity: s.worst ?? 'none' };
      if (!wanted || row['station'] !== wanted.station || row['status'] !== wanted.status || row['severity'] !== wanted.severity) {
        throw new Error(`${c.filter} "${c.text}": row ${row['index']} shows ${JSON.stringify(row)}, expected ${JSON.stringify(wanted)}`);
      }
    }
  }
  console.log(`list checked against the model built in Node: ${cases.length} queries, counts, order and rendered rows right`);
}

/** Busy time per renderer thread in a trace, and its most frequent top-level task names. */
function traceSummary(events: unknown[]): string[] {
  type TraceEvent = { name?: string; ph?: string; dur?: number; pid?: number; tid?: number; args?: { name?: string } };
  const threadNames = new Map<string, string>();
  const busy = new Map<string, { ms: number; tasks: number; names: Map<string, number> }>();
  for (const e of events as TraceEvent[]) {
    const key = `${e.pid}:${e.tid}`;
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threadNames.set(key, e.args.name);
    if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask' || e.dur === undefined) continue;
    const b = busy.get(key) ?? { ms: 0, tasks: 0, names: new Map() };
    b.ms += e.dur / 1000;
    b.tasks++;
    busy.set(key, b);
  }
  for (const e of events as TraceEvent[]) {
    const b = busy.get(`${e.pid}:${e.tid}`);
    if (b && e.ph === 'X' && e.name && e.name !== 'ThreadControllerImpl::RunTask') b.names.set(e.name, (b.names.get(e.name) ?? 0) + 1);
  }
  return [...busy]
    .filter(([key]) => /Main|Worker/i.test(threadNames.get(key) ?? ''))
    .map(([key, b]) => {
      const top = [...b.names].sort((x, y) => y[1] - x[1]).slice(0, 5).map(([n, k]) => `${n} ${k}`).join(', ');
      return `  ${threadNames.get(key)}: busy ${(b.ms / 1000).toFixed(2)} s in ${b.tasks} tasks (${top})`;
    });
}

describe(`${STATIONS} stations' retained state`, () => {
  bench(
    `${ROUNDS} rounds: plain MQTT.js in Node, plain MQTT.js in Chromium, the operator console in Chromium`,
    async () => {
      for (let r = 0; r < ROUNDS; r++) {
        const node = await plainNode();
        // Alternating which of the two goes first, so that neither always meets a warmer machine.
        let browser = 0;
        let load = { usable: 0, complete: 0 };
        if (r % 2 === 0) {
          browser = await plainChromium();
          load = await consoleLoad(r === 0);
        } else {
          load = await consoleLoad(false);
          browser = await plainChromium();
        }
        rounds.push({ node, browser, ...load });
        console.log(
          `round ${r + 1}: plain client in Node ${(node / 1000).toFixed(2)} s, in Chromium ${(browser / 1000).toFixed(2)} s; console usable ${(load.usable / 1000).toFixed(2)} s, all applied ${(load.complete / 1000).toFixed(2)} s (${(load.complete / browser).toFixed(2)}x)`,
        );
      }
    },
    once,
  );
});
