import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ActiveAlarm, AlarmSeverity, AlarmTable } from '../store/alarm-table.js';
import type { EventOutbox } from '../store/event-outbox.js';

export interface AlarmRaise {
  alarm: string;
  severity: AlarmSeverity;
  device?: string;
  detail?: Record<string, unknown>;
}

/**
 * The station's active alarms: kept in the store across restarts, each raise and clear logged as
 * an `alarm.raised` / `alarm.cleared` event, and the whole list handed on for `S/alarms` whenever
 * it changes. Raising an active alarm again changes nothing unless its severity changed, so a
 * source that repeats itself cannot flood the log; hysteresis on noisy values is the source's job.
 */
export class StationAlarms extends EventEmitter<{ changed: [readonly ActiveAlarm[]] }> {
  /** Alarms about the store itself (disk full), which cannot be written to it. */
  private readonly volatile = new Map<string, ActiveAlarm>();

  constructor(
    private readonly table: AlarmTable,
    private readonly outbox: EventOutbox,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  active(): ActiveAlarm[] {
    return [...this.volatile.values(), ...this.table.all()];
  }

  /** An alarm kept in memory only and published, for when the store cannot take writes. */
  raiseVolatile(a: AlarmRaise): void {
    if (this.volatile.has(a.alarm)) return;
    this.volatile.set(a.alarm, { ...a, since: this.now().toISOString() });
    this.log.error({ alarm: a.alarm, severity: a.severity, detail: a.detail }, 'alarm raised (not stored)');
    this.emit('changed', this.active());
  }

  clearVolatile(alarm: string): void {
    if (!this.volatile.delete(alarm)) return;
    this.log.info({ alarm }, 'alarm cleared');
    this.emit('changed', this.active());
  }

  raise(a: AlarmRaise): void {
    const current = this.table.get(a.alarm, a.device);
    if (current && current.severity === a.severity) return;
    const alarm: ActiveAlarm = {
      alarm: a.alarm,
      severity: a.severity,
      ...(a.device !== undefined ? { device: a.device } : {}),
      ...(a.detail !== undefined ? { detail: a.detail } : {}),
      since: current?.since ?? this.now().toISOString(),
    };
    this.table.put(alarm);
    this.outbox.append({
      type: 'alarm.raised',
      ...(a.device !== undefined ? { device: a.device } : {}),
      data: { alarm: a.alarm, severity: a.severity, ...(a.detail !== undefined ? { detail: a.detail } : {}) },
    });
    this.log.warn({ alarm: a.alarm, severity: a.severity, device: a.device, detail: a.detail }, 'alarm raised');
    this.emit('changed', this.active());
  }

  clear(alarm: string, device?: string): void {
    const current = this.table.get(alarm, device);
    if (!current) return;
    this.table.delete(alarm, device);
    this.outbox.append({
      type: 'alarm.cleared',
      ...(device !== undefined ? { device } : {}),
      data: { alarm, severity: current.severity, since: current.since },
    });
    this.log.info({ alarm, device }, 'alarm cleared');
    this.emit('changed', this.active());
  }
}
