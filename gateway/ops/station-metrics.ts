import type { Registry } from 'prom-client';
import type { AccessCounts } from '../access/access-service.js';
import { ALARM_SEVERITIES } from '../../cloud-bridge/alarm-catalogue.js';
import type { HealthMonitor } from './health-monitor.js';
import type { Liveness } from './liveness.js';
import type { StationView } from './station-view.js';
import type { LoginCounts } from './status-page/login-throttle.js';
import type { InboundCounts } from '../../cloud-bridge/cloud-bridge.js';

/** Counts that other parts keep and metrics read at scrape time; each absent when the part is. */
export interface MetricSources {
  /** What the access logic refused in bulk (junk, rate limits). */
  access?: (() => AccessCounts) | undefined;
  /** The status page's failed and throttled logins. */
  logins?: (() => LoginCounts) | undefined;
  /** What the cloud bridge refused of what came in: oversized packets, refused commands. */
  inbound?: (() => InboundCounts) | undefined;
  /** Days until the station's client certificate expires (absent without one). */
  certificateDaysLeft?: (() => number | undefined) | undefined;
}

/** Prometheus text exposition format 0.0.4, what prom-client's Registry answers with. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The station's Prometheus metrics, in a Registry of its own (the global one belongs to whoever
 * imports prom-client first). Values are read from the station view at scrape time, so nothing
 * here runs between scrapes except the event count.
 *
 * prom-client is imported, and the registry with Node's default collectors built, at the first
 * scrape: a station without `metrics` (the demo, most boxes) never loads it. Events are counted
 * from construction on, so the first scrape still has every event of the boot; the default
 * collectors' loop-delay and GC histograms count from the first scrape.
 */
export class StationMetrics {
  private registry: Promise<Registry> | undefined;
  private built: Registry | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;
  /** Events stored since start, by type (station_events_total). */
  private readonly events = new Map<string, number>();
  /** Counters from the monitors are totals; Prometheus counters only go up by increments. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly view: StationView,
    private readonly health: HealthMonitor,
    private readonly liveness: Liveness,
    private readonly sources: MetricSources = {},
  ) {
    this.unsubscribe = view.onEvent((e) => this.events.set(e.type, (this.events.get(e.type) ?? 0) + 1));
  }

  async text(): Promise<string> {
    const registry = await (this.registry ??= this.build());
    return registry.metrics();
  }

  get contentType(): string {
    return this.built?.contentType ?? PROMETHEUS_TEXT;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    // prom-client's default collectors keep their loop-delay histogram and GC observer enabled
    // (it offers no way to stop them); one registry per process start keeps that to one of each.
    this.built?.clear();
  }

  private async build(): Promise<Registry> {
    const { Counter, Gauge, Registry, collectDefaultMetrics } = await import('prom-client');
    const { view, health, liveness, events } = this;
    const { access, logins, inbound, certificateDaysLeft } = this.sources;
    const r = new Registry();
    r.setDefaultLabels({ station: view.stationId });
    // Process memory, CPU, heap and the event-loop delay percentiles (perf_hooks monitorEventLoopDelay).
    if (!this.stopped) collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 20 });

    const addTotal = (key: string, total: number, inc: (n: number) => void): void => {
      const delta = total - (this.seen.get(key) ?? 0);
      // A series at 0 from the first scrape: rate() over a counter that appears late misses its start.
      if (delta > 0 || !this.seen.has(key)) inc(Math.max(0, delta));
      this.seen.set(key, total);
    };
    new Counter({
      name: 'station_device_polls_total',
      help: 'Polls settled per device, good or bad',
      labelNames: ['device'],
      registers: [r],
      collect() {
        for (const d of view.devices) addTotal(`polls ${d.id}`, d.pollStats().polls, (n) => this.inc({ device: d.id }, n));
      },
    });
    new Counter({
      name: 'station_device_errors_total',
      help: 'Failed polls per device and error code (the codes of docs/errors.md)',
      labelNames: ['device', 'code'],
      registers: [r],
      collect() {
        for (const d of view.devices) {
          for (const [code, n] of Object.entries(d.state().health.errors)) addTotal(`errors ${d.id} ${code}`, n, (k) => this.inc({ device: d.id, code }, k));
        }
      },
    });
    if (certificateDaysLeft) {
      new Gauge({
        name: 'station_certificate_days_left',
        help: 'Days until the client certificate the station connects with expires (negative once it has)',
        registers: [r],
        collect() {
          const days = certificateDaysLeft();
          if (days !== undefined) this.set(days);
        },
      });
    }
    new Gauge({
      name: 'station_device_online',
      help: '1 while the device answers, 0 once it is reported offline',
      labelNames: ['device', 'kind'],
      registers: [r],
      collect() {
        for (const d of view.devices) this.set({ device: d.id, kind: d.kind }, d.state().online ? 1 : 0);
      },
    });
    new Gauge({
      name: 'station_device_latency_seconds',
      help: 'Smoothed time a poll takes per device (absent until the first good poll)',
      labelNames: ['device'],
      registers: [r],
      collect() {
        for (const d of view.devices) {
          const ms = d.state().health.latencyMs;
          if (ms !== null) this.set({ device: d.id }, ms / 1000);
        }
      },
    });
    new Gauge({
      name: 'station_device_last_poll_age_seconds',
      help: 'Time since a poll of the device last settled; grows without bound on a stalled poller',
      labelNames: ['device'],
      registers: [r],
      collect() {
        const now = Date.now();
        for (const d of view.devices) {
          const at = d.pollStats().lastSettledAt;
          if (at !== null) this.set({ device: d.id }, (now - at) / 1000);
        }
      },
    });
    new Gauge({
      name: 'station_outbox_pending_events',
      help: 'Events on disk not yet acknowledged by the broker',
      registers: [r],
      collect() {
        this.set(view.outboxPending());
      },
    });
    new Gauge({
      name: 'station_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest event not yet acknowledged by the broker; 0 when none waits',
      registers: [r],
      collect() {
        const at = view.oldestPendingAt();
        this.set(at ? Math.max(0, (Date.now() - at.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'station_mqtt_connected',
      help: '1 while the MQTT connection to the cloud broker is up',
      registers: [r],
      collect() {
        this.set(view.cloudConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'station_alarms_active',
      help: 'Active alarms by severity',
      labelNames: ['severity'],
      registers: [r],
      collect() {
        const counts = new Map<string, number>(ALARM_SEVERITIES.map((s) => [s, 0]));
        for (const a of view.alarms()) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1);
        for (const [severity, n] of counts) this.set({ severity }, n);
      },
    });
    new Gauge({
      name: 'station_event_loop_lag_max_seconds',
      help: 'Longest event-loop stall in the last liveness window',
      registers: [r],
      collect() {
        this.set(liveness.lastLoopLagMs / 1000);
      },
    });
    new Gauge({
      name: 'station_healthy',
      help: '1 while the liveness check passes (the same check that feeds the systemd watchdog)',
      registers: [r],
      collect() {
        this.set(health.current().ok ? 1 : 0);
      },
    });
    if (access) {
      new Counter({
        name: 'station_access_junk_total',
        help: 'Access attempts dropped by the cheap checks (not a token, another algorithm, unknown key, bad signature), by source and code',
        labelNames: ['via', 'code'],
        registers: [r],
        collect() {
          for (const { via, code, count } of access().junk) addTotal(`junk ${via} ${code}`, count, (n) => this.inc({ via, code }, n));
        },
      });
      new Counter({
        name: 'station_access_rate_limited_total',
        help: 'Verified access attempts refused with BUSY, by source and the budget spent (worker or source)',
        labelNames: ['via', 'scope'],
        registers: [r],
        collect() {
          for (const { via, scope, count } of access().limited) addTotal(`limited ${via} ${scope}`, count, (n) => this.inc({ via, scope }, n));
        },
      });
    }
    if (logins) {
      new Counter({
        name: 'station_status_page_logins_refused_total',
        help: 'Status page requests with wrong credentials (reason="wrong") or refused 429 by the failed-login throttle (reason="throttled")',
        labelNames: ['reason'],
        registers: [r],
        collect() {
          const c = logins();
          addTotal('logins wrong', c.failed, (n) => this.inc({ reason: 'wrong' }, n));
          addTotal('logins throttled', c.refused, (n) => this.inc({ reason: 'throttled' }, n));
        },
      });
    }
    if (inbound) {
      new Counter({
        name: 'station_cloud_inbound_refused_total',
        help: 'What came in from the broker and was not carried out: oversized packets dropped unread (reason="oversize-packet"), commands refused unexecuted (retained, reply-topic, oversize, snapshot-rate)',
        labelNames: ['reason'],
        registers: [r],
        collect() {
          const c = inbound();
          addTotal('inbound oversize-packet', c.oversizePackets, (n) => this.inc({ reason: 'oversize-packet' }, n));
          for (const [reason, count] of Object.entries(c.commands.refused)) addTotal(`inbound ${reason}`, count, (n) => this.inc({ reason }, n));
        },
      });
    }
    new Counter({
      name: 'station_events_total',
      help: 'Events stored since start, by type',
      labelNames: ['type'],
      registers: [r],
      collect() {
        for (const [type, total] of events) addTotal(`events ${type}`, total, (n) => this.inc({ type }, n));
      },
    });
    // A scrape that was under way when the station stopped answers empty, as one after it does.
    if (this.stopped) r.clear();
    this.built = r;
    return r;
  }
}
