import { remoteConfigTopics, type ConfigReport } from '../../cloud-bridge/remote-config-contract.js';
import { connectOperator, disconnect, subscribe, type OperatorBroker, MAX_LISTED_SUBSCRIPTIONS } from './operator-connection.js';
import { parseReport, stationOf } from './push-config.js';
import { StaleRetainedFilter } from '../../cloud-bridge/stale-retained-filter.js';

export interface StatusOptions {
  broker: OperatorBroker;
  prefix: string;
  /** The stations to look at; undefined for every station with a report. */
  stations?: readonly string[] | undefined;
  /** How long to collect retained reports; with a list, it ends early once every station answered. */
  waitSeconds: number;
  out: (line: string) => void;
}

export interface StationStatus {
  station: string;
  report: ConfigReport | undefined;
}


/**
 * Which stations run which revision, which rejected or rolled back a revision and why, and which
 * drifted: read from the retained `S/config` of each, one table row per station.
 */
export async function configStatus(options: StatusOptions): Promise<StationStatus[]> {
  const reports = new Map<string, ConfigReport>();
  const client = await connectOperator(options.broker);
  try {
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const wanted = options.stations ? new Set(options.stations) : undefined;
      const fresh = StaleRetainedFilter.on(client);
      client.on('message', (topic, payload, packet) => {
        const station = stationOf(topic, options.prefix);
        const report = station === undefined ? undefined : parseReport(payload);
        if (station === undefined || !report || (wanted && !wanted.has(station)) || !fresh.take(station, packet.retain)) return;
        reports.set(station, report);
        if (wanted && reports.size === wanted.size) {
          clearTimeout(timer);
          resolve();
        }
      });
      // A long list is one wildcard filtered here: thousands of subscriptions are slow on a broker
      // (and their retained messages arrive only once each is granted).
      const wildcard = !options.stations || options.stations.length > MAX_LISTED_SUBSCRIPTIONS;
      const topics = wildcard ? [remoteConfigTopics(options.prefix, '+').report] : (options.stations ?? []).map((s) => remoteConfigTopics(options.prefix, s).report);
      (async () => {
        for (let i = 0; i < topics.length; i += 500) await subscribe(client, topics.slice(i, i + 500));
        // The wait counts from when the broker has granted every subscription.
        timer = setTimeout(resolve, options.waitSeconds * 1000);
      })().catch((err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      });
    });
  } finally {
    await disconnect(client);
  }
  const stations = options.stations ?? [...reports.keys()].sort();
  const rows = stations.map((station) => ({ station, report: reports.get(station) }));
  printStatus(rows, options.out);
  return rows;
}

function printStatus(rows: readonly StationStatus[], out: (line: string) => void): void {
  const table = rows.map(({ station, report: r }) => {
    if (!r) return [station, '-', '-', 'no report', '', ''];
    const running = r.running === null ? 'on-site' : String(r.running);
    const why = r.problems[0] ?? '';
    const drift = r.drift.length > 0 ? `drift: ${r.drift.length} file${r.drift.length === 1 ? '' : 's'} changed on site` : '';
    return [station, running, r.revision === null ? '?' : String(r.revision), r.state, r.code ?? '', [drift, why].filter(Boolean).join('; ')];
  });
  const head = ['station', 'runs', 'last', 'state', 'code', 'why'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  out(line(head));
  for (const row of table) out(line(row));

  const byRunning = new Map<string, number>();
  for (const { report } of rows) {
    const key = !report ? 'no report' : report.running === null ? 'on-site file' : `revision ${report.running}`;
    byRunning.set(key, (byRunning.get(key) ?? 0) + 1);
  }
  const count = (f: (r: ConfigReport) => boolean): number => rows.filter((r) => r.report && f(r.report)).length;
  out(`runs: ${[...byRunning].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  out(`rejected: ${count((r) => r.state === 'rejected')}, rolled back: ${count((r) => r.state === 'rolled-back')}, applying: ${count((r) => r.state === 'applying')}, drift: ${count((r) => r.drift.length > 0)}`);
}
