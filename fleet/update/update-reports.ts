import type { MqttClient } from 'mqtt';
import { updateReportSchema, updateTopics, UPDATE_REPORT_SUFFIX, type UpdateReport } from '../../cloud-bridge/update-contract.js';
import { subscribe, MAX_LISTED_SUBSCRIPTIONS } from '../config/operator-connection.js';
import { StaleRetainedFilter } from '../../cloud-bridge/stale-retained-filter.js';


/**
 * Every station's last retained `S/update`, as the rollout sees it: what it runs, which document
 * it is on, how far it got. A few stations are subscribed one by one; a long list is one
 * `+/update` filtered here: thousands of subscriptions are slow on a broker (aedes looks its
 * retained messages through for each: 2,000 of them took half a minute on 2,000 stations).
 */
export class UpdateReports {
  readonly latest = new Map<string, UpdateReport>();
  private readonly listeners = new Set<(station: string, report: UpdateReport) => void>();

  private constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    private readonly wanted: ReadonlySet<string>,
    private readonly fresh: StaleRetainedFilter,
  ) {}

  static async follow(client: MqttClient, prefix: string, stations: readonly string[]): Promise<UpdateReports> {
    const reports = new UpdateReports(client, prefix, new Set(stations), StaleRetainedFilter.on(client));
    client.on('message', (topic, payload, packet) => reports.take(topic, payload, packet.retain));
    const topics = stations.length > MAX_LISTED_SUBSCRIPTIONS ? [updateTopics(prefix, '+').report] : stations.map((s) => updateTopics(prefix, s).report);
    for (let i = 0; i < topics.length; i += 500) await subscribe(client, topics.slice(i, i + 500));
    return reports;
  }

  /** Called with every report that parses, as it arrives; the function returned stops it. */
  onReport(listener: (station: string, report: UpdateReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Waits for the retained reports the broker sends on subscribing, until every station named
   * has one or `ms` pass: a station that never reported (new, or never on-line) has none.
   */
  async collect(stations: readonly string[], ms: number): Promise<void> {
    const missing = new Set(stations.filter((s) => !this.latest.has(s)));
    if (missing.size === 0 || ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const off = this.onReport((station) => {
        missing.delete(station);
        if (missing.size === 0) done();
      });
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  /** The highest revision any report names: a new document's must be above it. */
  highestRevision(): number | undefined {
    let max: number | undefined;
    for (const r of this.latest.values()) if (r.revision !== null && (max === undefined || r.revision > max)) max = r.revision;
    return max;
  }

  get connection(): MqttClient {
    return this.client;
  }

  private take(topic: string, payload: Buffer, retained: boolean): void {
    const station = stationOfReport(topic, this.prefix);
    if (station === undefined || payload.length === 0 || !this.wanted.has(station)) return;
    if (!this.fresh.take(station, retained)) return;
    let report: UpdateReport;
    try {
      const parsed = updateReportSchema.safeParse(JSON.parse(payload.toString('utf8')));
      if (!parsed.success) return;
      report = parsed.data;
    } catch {
      return;
    }
    this.latest.set(station, report);
    for (const l of this.listeners) l(station, report);
  }
}

export function stationOfReport(topic: string, prefix: string): string | undefined {
  const head = `${prefix}/`;
  const tail = `/${UPDATE_REPORT_SUFFIX}`;
  if (!topic.startsWith(head) || !topic.endsWith(tail)) return undefined;
  const id = topic.slice(head.length, -tail.length);
  return id.includes('/') || id === '' ? undefined : id;
}
