import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { configReportSchema, FINAL_CONFIG_STATES, remoteConfigTopics, type ConfigReport } from '../../cloud-bridge/remote-config-contract.js';
import { UsageError } from '../../config/usage-error.js';
import type { ConfigSigningKey } from './config-keys.js';
import { connectOperator, disconnect, publish, subscribe, type OperatorBroker } from './operator-connection.js';
import { PushProgress, type StationOutcome } from './push-progress.js';
import { readDocumentFiles, signConfigDocument } from './sign-config-document.js';
import { StaleRetainedFilter } from '../../cloud-bridge/stale-retained-filter.js';

/** In a `--file` path: one station file per station (`sites/{station}.yaml`). */
export const STATION_IN_PATH = '{station}';
/** In a station file's text: replaced by each station's id, for a fleet of stations set up alike. */
export const STATION_IN_TEXT = '{{station}}';

export interface PushOptions {
  broker: OperatorBroker;
  prefix: string;
  stations: readonly string[];
  stationFile: string;
  profilesDir?: string | undefined;
  revision: number;
  key: ConfigSigningKey;
  progressFile: string;
  /** How long to follow one station's report after its document is published. */
  timeoutSeconds: number;
  /** Stations whose outcome is awaited at once. */
  concurrency: number;
  replaceDrift?: boolean;
  /** Progress lines for people (stdout). */
  out: (line: string) => void;
  /**
   * Stop launching stations once this many have rejected or rolled back the revision (hawkBit's
   * error threshold): a revision that fails on the first stations is not pushed to the thousands
   * after them. Those already followed are finished; a run again carries on.
   */
  stopAfterFailures?: number | undefined;
  /** Seconds between two summary lines (default 5; 0 for none). */
  summaryEverySeconds?: number;
}

export interface PushSummary {
  total: number;
  /** Done in an earlier run of this push (the progress file). */
  skipped: number;
  applied: string[];
  rejected: string[];
  rolledBack: string[];
  /** No outcome within the timeout: the document stays retained; a run again follows them. */
  timedOut: string[];
  /** Not pushed: the push stopped after `stopAfterFailures`. */
  notPushed: number;
  elapsedMs: number;
}

interface InFlight {
  hash: string;
  timer: NodeJS.Timeout;
  finish: (outcome: StationOutcome | 'timeout') => void;
  announcedApplying: boolean;
}

const MAX_PROBLEMS_SHOWN = 5;

/**
 * Publishes each station's signed document, retained, on `S/desired/config`, and follows its
 * retained `S/config` until it reports this document applied, rejected or rolled back, or the
 * timeout passes. A station off-line at the time gets the document when it reconnects (it is
 * retained); running the push again with the same progress file skips the stations done and
 * follows the others, signing the very same documents.
 */
export async function pushConfig(options: PushOptions): Promise<PushSummary> {
  const started = Date.now();
  const template = readTemplate(options);
  const { progress, resumed } = PushProgress.open(options.progressFile, { revision: options.revision, file: options.stationFile }, new Date());
  const summary: PushSummary = { total: options.stations.length, skipped: 0, applied: [], rejected: [], rolledBack: [], timedOut: [], notPushed: 0, elapsedMs: 0 };
  const pending = options.stations.filter((s) => !progress.done.has(s));
  summary.skipped = options.stations.length - pending.length;
  if (resumed) options.out(`resuming ${options.progressFile}: ${summary.skipped} of ${summary.total} stations done already, ${pending.length} to go`);

  const reports = new Map<string, ConfigReport>();
  const inFlight = new Map<string, InFlight>();
  const client = await connectOperator(options.broker);
  const summaryTimer = startSummaries(options, summary, started, inFlight);
  try {
    const fresh = StaleRetainedFilter.on(client);
    client.on('message', (topic, payload, packet) => {
      const station = stationOf(topic, options.prefix);
      if (station === undefined || payload.length === 0 || !fresh.take(station, packet.retain)) return;
      const report = parseReport(payload);
      if (!report) return;
      reports.set(station, report);
      const flight = inFlight.get(station);
      if (flight) follow(station, report, flight, options);
    });
    for (let i = 0; i < pending.length; i += 500) {
      await subscribe(client, pending.slice(i, i + 500).map((s) => remoteConfigTopics(options.prefix, s).report));
    }

    let next = 0;
    // Counted apart from inFlight, which a station joins only once its document is signed.
    let active = 0;
    await new Promise<void>((resolve, reject) => {
      const launch = (): void => {
        const failures = summary.rejected.length + summary.rolledBack.length;
        if (options.stopAfterFailures !== undefined && failures >= options.stopAfterFailures && next < pending.length) {
          summary.notPushed = pending.length - next;
          options.out(`stopping: ${failures} stations rejected or rolled back revision ${options.revision}; ${summary.notPushed} not pushed (run again to carry on)`);
          next = pending.length;
        }
        while (active < options.concurrency && next < pending.length) {
          const station = pending[next++]!;
          active++;
          startStation(client, station, template, options, progress.header.issuedAt, reports, inFlight, (outcome) => {
            active--;
            inFlight.delete(station);
            if (outcome === 'timeout') {
              summary.timedOut.push(station);
              options.out(`${station}  no report within ${options.timeoutSeconds} s (the document stays retained; run the push again to follow it)`);
            } else {
              progress.record(outcome);
              (outcome.state === 'applied' ? summary.applied : outcome.state === 'rejected' ? summary.rejected : summary.rolledBack).push(station);
              printOutcome(outcome, options.out);
            }
            launch();
          }).catch(reject);
        }
        if (active === 0 && next >= pending.length) resolve();
      };
      launch();
    });
  } finally {
    if (summaryTimer) clearInterval(summaryTimer);
    for (const flight of inFlight.values()) clearTimeout(flight.timer);
    progress.close();
    await disconnect(client);
  }
  summary.elapsedMs = Date.now() - started;
  options.out(summaryLine(summary, 0));
  return summary;
}

interface Template {
  files?: Record<string, string>;
}

function readTemplate(options: PushOptions): Template {
  if (options.stations.length === 0) throw new UsageError('no stations to push to');
  // One file for all: read (and refused if unreadable) once, before anything is published.
  return options.stationFile.includes(STATION_IN_PATH) ? {} : { files: readDocumentFiles(options.stationFile, options.profilesDir) };
}

function filesFor(station: string, template: Template, options: PushOptions): Record<string, string> {
  const files = template.files ?? readDocumentFiles(options.stationFile.split(STATION_IN_PATH).join(station), options.profilesDir);
  return Object.fromEntries(Object.entries(files).map(([path, text]) => [path, text.split(STATION_IN_TEXT).join(station)]));
}

async function startStation(
  client: MqttClient,
  station: string,
  template: Template,
  options: PushOptions,
  issuedAt: string,
  reports: ReadonlyMap<string, ConfigReport>,
  inFlight: Map<string, InFlight>,
  done: (outcome: StationOutcome | 'timeout') => void,
): Promise<void> {
  const jws = await signConfigDocument(options.key, {
    station,
    revision: options.revision,
    files: filesFor(station, template, options),
    issuedAt: new Date(issuedAt),
    ...(options.replaceDrift ? { replaceDrift: true } : {}),
  });
  const hash = createHash('sha256').update(jws).digest('hex');
  let settled = false;
  const flight: InFlight = {
    hash,
    announcedApplying: false,
    timer: setTimeout(() => flight.finish('timeout'), options.timeoutSeconds * 1000),
    finish: (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(flight.timer);
      done(outcome);
    },
  };
  inFlight.set(station, flight);
  // Its retained report may say it has this very document already (a push run again).
  const known = reports.get(station);
  if (known) follow(station, known, flight, options);
  if (settled) return;
  await publish(client, remoteConfigTopics(options.prefix, station).desired, JSON.stringify({ document: jws }), true);
}

function follow(station: string, report: ConfigReport, flight: InFlight, options: PushOptions): void {
  if (report.documentHash !== flight.hash) return;
  if (report.state === 'applying') {
    if (!flight.announcedApplying && options.stations.length <= 50) options.out(`${station}  applying revision ${options.revision}`);
    flight.announcedApplying = true;
    return;
  }
  if (!FINAL_CONFIG_STATES.includes(report.state)) return;
  flight.finish({
    station,
    state: report.state as StationOutcome['state'],
    revision: report.revision,
    running: report.running,
    ...(report.code !== undefined ? { code: report.code } : {}),
    problems: report.problems,
    ts: report.ts,
  });
}

function printOutcome(o: StationOutcome, out: (line: string) => void): void {
  const running = o.running === null ? 'its on-site file' : `revision ${o.running}`;
  const state = o.state === 'rolled-back' ? 'rolled back' : o.state;
  out(`${o.station}  ${state}${o.code ? ` (${o.code})` : ''}, runs ${running}`);
  for (const p of o.problems.slice(0, MAX_PROBLEMS_SHOWN)) out(`    ${p}`);
  if (o.problems.length > MAX_PROBLEMS_SHOWN) out(`    ... and ${o.problems.length - MAX_PROBLEMS_SHOWN} more`);
}

function summaryLine(s: PushSummary, inFlight: number): string {
  const done = s.skipped + s.applied.length + s.rejected.length + s.rolledBack.length;
  const parts = [`${s.applied.length} applied`, `${s.rejected.length} rejected`, `${s.rolledBack.length} rolled back`, `${s.timedOut.length} no report`];
  if (s.skipped > 0) parts.push(`${s.skipped} done before`);
  if (s.notPushed > 0) parts.push(`${s.notPushed} not pushed`);
  return `${done}/${s.total} done: ${parts.join(', ')}${inFlight > 0 ? `; ${inFlight} waiting` : ''}${s.elapsedMs > 0 ? ` (${(s.elapsedMs / 1000).toFixed(1)} s)` : ''}`;
}

function startSummaries(options: PushOptions, summary: PushSummary, started: number, inFlight: ReadonlyMap<string, unknown>): NodeJS.Timeout | undefined {
  const every = options.summaryEverySeconds ?? 5;
  if (every <= 0) return undefined;
  const timer = setInterval(() => options.out(`[${Math.round((Date.now() - started) / 1000)} s] ${summaryLine(summary, inFlight.size)}`), every * 1000);
  timer.unref();
  return timer;
}

export function stationOf(topic: string, prefix: string): string | undefined {
  const head = `${prefix}/`;
  if (!topic.startsWith(head) || !topic.endsWith('/config')) return undefined;
  const id = topic.slice(head.length, -'/config'.length);
  return id.includes('/') || id === '' ? undefined : id;
}

export function parseReport(payload: Buffer): ConfigReport | undefined {
  try {
    const parsed = configReportSchema.safeParse(JSON.parse(payload.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
