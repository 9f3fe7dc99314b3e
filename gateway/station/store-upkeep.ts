import type { Logger } from 'pino';
import type { StationStore } from '../store/station-store.js';
import type { HousekeepingLimits, HousekeepingReport } from '../store/store-housekeeping.js';
import type { StationAlarms } from './station-alarms.js';
import type { AlarmName } from '../../cloud-bridge/alarm-catalogue.js';

export const STORE_BUDGET_ALARM = 'store.budget' satisfies AlarmName;
/** Share of the budget under which the alarm clears: well below the pruning target (0.7). */
export const CLEAR_BELOW = 0.5;

/**
 * Runs the store's retention and budget on a timer and turns the outcome into the `store.budget`
 * alarm: major when delivered history had to go before its time, critical when undelivered
 * events alone fill the budget. It clears only when use falls to half the budget, which
 * retention alone must achieve: a station whose budget is too small for its retention keeps the
 * alarm up instead of raising and clearing it at every pruning.
 */
export class StoreUpkeep {
  private timer: NodeJS.Timeout | undefined;
  private failing: string | undefined;

  constructor(
    private readonly store: StationStore,
    private readonly alarms: StationAlarms,
    private readonly limits: HousekeepingLimits,
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
  ) {}

  start(): void {
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  runOnce(): HousekeepingReport | undefined {
    let report: HousekeepingReport;
    try {
      report = this.store.housekeep(this.limits);
    } catch (err) {
      // A failed round (disk full mid-delete) is retried next round; the store stays usable.
      // Logged when the failure starts or changes, not every round of a full disk.
      const code = (err as { code?: string }).code;
      if (code !== this.failing) this.log.error({ err, code }, 'housekeeping failed; tried again every round');
      this.failing = code ?? 'unknown';
      return undefined;
    }
    if (this.failing !== undefined) this.log.info('housekeeping runs again');
    this.failing = undefined;
    const detail = { usedBytes: report.usedBytes, maxBytes: report.maxBytes, prunedEvents: report.prunedEvents };
    if (report.level === 'over') this.alarms.raise({ alarm: STORE_BUDGET_ALARM, severity: 'critical', detail });
    else if (report.level === 'pruned') this.alarms.raise({ alarm: STORE_BUDGET_ALARM, severity: 'major', detail });
    else if (report.usedBytes <= report.maxBytes * CLEAR_BELOW) this.alarms.clear(STORE_BUDGET_ALARM);
    return report;
  }
}
