import type { Logger } from 'pino';
import type { AccessCounts } from '../access/access-service.js';
import type { StationConfig } from '../../config/station-schema.js';
import { EventLoopLag } from './event-loop-lag.js';
import { HealthMonitor } from './health-monitor.js';
import { Liveness } from './liveness.js';
import type { RunningHttpServer } from './local-http-server.js';
import { startMetricsServer } from './metrics-server.js';
import { SocatNotifySender, type NotifySender } from './notify-socket.js';
import { StationMetrics } from './station-metrics.js';
import { planReload, type ReloadPlan } from './config-reload.js';
import type { StationView } from './station-view.js';
import { LoginThrottle } from './status-page/login-throttle.js';
import { startStatusPage } from './status-page/status-page-server.js';
import { SystemdWatchdog, notifyEnvironment, pingEveryMs, type NotifyEnvironment } from './systemd-watchdog.js';
import type { InboundCounts } from '../../cloud-bridge/cloud-bridge.js';

/** A part of a reload prepared outside ops (the trusted keys): applied with the rest or not at all. */
export interface PreparedReload {
  /** Keys to report as changed (`access.trustedKeys` when the keys differ). */
  changed: string[];
  apply(): void;
}

export interface StationOpsOptions {
  config: StationConfig;
  view: StationView;
  log: Logger;
  /** Where $NOTIFY_SOCKET and $WATCHDOG_USEC come from (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Replaces the socat sender (tests). */
  notifySender?: NotifySender;
  /** The access logic's refusal counts, for metrics (absent without an access section). */
  accessCounts?: (() => AccessCounts) | undefined;
  /** What the cloud bridge refused of what came in (oversized packets, refused commands), for metrics. */
  inboundCounts?: () => InboundCounts;
  /** Days until the client certificate expires, for metrics (absent without one). */
  certificateDaysLeft?: (() => number | undefined) | undefined;
}

/**
 * The parts a crew and the init system use to look at a running station: liveness, the systemd
 * watchdog, metrics with /healthz, and the status page. Each is optional by config or
 * environment; all of them only read the station view.
 */
export class StationOps {
  private readonly lag = new EventLoopLag();
  /** Outlives the status page server across reloads: a reload must not wipe a guesser's lock-out. */
  private readonly loginThrottle = new LoginThrottle();
  private liveness: Liveness | undefined;
  private health: HealthMonitor | undefined;
  private metrics: StationMetrics | undefined;
  private metricsServer: RunningHttpServer | undefined;
  private statusPage: RunningHttpServer | undefined;
  private watchdog: SystemdWatchdog | undefined;
  private config: StationConfig;
  private notify: NotifyEnvironment | undefined;

  constructor(private readonly options: StationOpsOptions) {
    this.config = options.config;
  }

  /** The bound addresses, for logs and tests (a configured port 0 picks one). */
  get urls(): { metrics?: string | undefined; statusPage?: string | undefined } {
    return { metrics: this.metricsServer?.url, statusPage: this.statusPage?.url };
  }

  /** Call before the station records its first event: metrics count from here. */
  async start(): Promise<void> {
    const { view } = this.options;
    this.notify = notifyEnvironment(this.options.env ?? process.env, process.pid);
    this.lag.start();
    this.liveness = new Liveness({ devices: view.devices, timeoutMs: (id) => view.timeoutMs(id), loopLagMs: () => this.lag.takeMaxMs() });
    this.health = new HealthMonitor(this.liveness, pingEveryMs(this.notify?.watchdogUsec));
    this.health.start();
    const { accessCounts: access, inboundCounts: inbound } = this.options;
    this.metrics = new StationMetrics(view, this.health, this.liveness, { access, inbound, logins: () => this.loginThrottle.counts(), certificateDaysLeft: this.options.certificateDaysLeft });
    await this.startServers(this.config);
  }

  /** Call once the station runs: READY=1 and the watchdog pings start here (under systemd). */
  ready(): void {
    const { log } = this.options;
    const { notify, health } = this;
    if (!notify || !health || this.watchdog) return;
    const sender = this.options.notifySender ?? new SocatNotifySender(notify.socket, log);
    this.watchdog = new SystemdWatchdog({ sender, health, log, watchdogUsec: notify.watchdogUsec });
    this.watchdog.start();
    log.info({ watchdogSec: notify.watchdogUsec !== undefined ? notify.watchdogUsec / 1e6 : null }, 'systemd notified: ready');
  }

  /**
   * Applies a reloaded station file if every change is safe while running, or refuses it whole
   * and names the keys that need a restart. `rootLog` is the logger every part's logger derives from.
   */
  async reload(next: StationConfig, rootLog: Logger, keys?: PreparedReload): Promise<ReloadPlan> {
    const { log, view } = this.options;
    const plan = planReload(this.config, next);
    if (plan.restartKeys.length > 0) {
      log.warn({ restartKeys: plan.restartKeys, code: 'RELOAD_REFUSED' }, `reload refused: ${plan.restartKeys.join(', ')} ${plan.restartKeys.length === 1 ? 'needs' : 'need'} a restart (systemctl restart station-gateway); nothing was changed`);
      return plan;
    }
    // Prepared (read and checked) by the caller; applied here, only once the whole reload is accepted.
    if (keys) {
      keys.apply();
      for (const k of keys.changed) if (!plan.liveKeys.includes(k)) plan.liveKeys.push(k);
    }
    // Children that never set a level of their own read it from the root.
    if (plan.logLevel) rootLog.level = plan.logLevel;
    for (const { id, pollMs } of plan.pollMs) view.devices.find((d) => d.id === id)?.setPollMs(pollMs);
    if (plan.servers) {
      await this.stopServers();
      await this.startServers(next);
    }
    this.config = next;
    log.info({ changed: plan.liveKeys }, plan.liveKeys.length > 0 ? 'configuration reloaded' : 'configuration reloaded: nothing changed');
    return plan;
  }

  async stop(): Promise<void> {
    await this.watchdog?.stop();
    await this.stopServers();
    this.metrics?.stop();
    this.health?.stop();
    this.lag.stop();
  }

  private async startServers(config: StationConfig): Promise<void> {
    const { view, log } = this.options;
    const { metrics, health } = this;
    if (!metrics || !health) return;
    if (config.metrics) {
      this.metricsServer = await startMetricsServer(config.metrics.listen, metrics, health);
      log.info({ url: this.metricsServer.url }, 'metrics and /healthz listening');
    }
    if (config.statusPage) {
      this.statusPage = await startStatusPage({ ...config.statusPage, view, health, log, throttle: this.loginThrottle });
      log.info({ url: this.statusPage.url }, 'status page listening');
    }
  }

  private async stopServers(): Promise<void> {
    await Promise.all([this.metricsServer?.close(), this.statusPage?.close()]);
    this.metricsServer = undefined;
    this.statusPage = undefined;
  }
}
