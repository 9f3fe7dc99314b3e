import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ALARM_SEVERITIES, type AlarmSeverity } from '../../cloud-bridge/alarm-catalogue.js';
import type { ActiveAlarm, AlarmAcknowledgement, AlarmRaise } from '../../cloud-bridge/contract-schemas.js';
import type { AlarmTable } from '../store/alarm-table.js';
import type { EventOutbox } from '../store/event-outbox.js';
import { StoreFullError } from '../store/store-errors.js';

// fleet/synthetic-station.ts names the raise from here.

/**
 * The station's active alarms: kept in the store across restarts, each raise and clear logged as
 * an `alarm.raised` / `alarm.cleared` event, and the whole list handed on for `S/alarms` whenever
 * it changes. Raising an active alarm again changes nothing unless its severity changed, so a
 * source that repeats itself cannot flood the log; hysteresis on noisy values is the source's job.
 * An operator's acknowledgement stays with the alarm until it clears, or until its severity rises:
 * a worse condition needs someone to take it on again; a milder one is still theirs.
 */
export class StationAlarms extends EventEmitter<{ changed: [readonly ActiveAlarm[]] }> {
  /** Alarms about the store itself (disk full), and alarms raised while it took no writes. */
  private readonly volatile = new Map<string, ActiveAlarm>();
  /** Stored alarms cleared while the disk was full: off the list, deleted once there is room. */
  private readonly unwrittenClears = new Map<string, { alarm: string; device: string | undefined }>();

  constructor(
    private readonly table: AlarmTable,
    private readonly outbox: EventOutbox,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
  }

  active(): ActiveAlarm[] {
    return [...this.volatile.values(), ...this.table.all().filter((a) => !this.unwrittenClears.has(volatileKey(a.alarm, a.device)))];
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
    // store.disk-full cleared: the disk takes writes again.
    this.retryClears();
  }

  raise(a: AlarmRaise): void {
    this.retryClears();
    const key = volatileKey(a.alarm, a.device);
    const unhidden = this.unwrittenClears.delete(key);
    const current = this.table.get(a.alarm, a.device);
    const before = current ?? this.volatile.get(key);
    if (before?.severity === a.severity) {
      if (unhidden) this.emit('changed', this.active());
      return;
    }
    const alarm: ActiveAlarm = { alarm: a.alarm, severity: a.severity, device: a.device, detail: a.detail, since: current?.since ?? this.now().toISOString() };
    if (before?.acknowledged && !rises(before.severity, a.severity)) alarm.acknowledged = before.acknowledged;
    try {
      this.table.put(alarm);
      this.outbox.append({
        type: 'alarm.raised',
        device: a.device,
        data: { alarm: a.alarm, severity: a.severity, detail: a.detail },
      });
    } catch (err) {
      if (!unwritable(err)) throw err;
      // Disk full: published from memory all the same (a forced door, an overheating slot must
      // not go unseen), as store.disk-full itself is; its event is in the usage log's held events.
      this.volatile.set(key, alarm);
      this.log.error({ alarm: a.alarm, severity: a.severity, device: a.device, detail: a.detail, code: 'STORE_FULL' }, 'alarm raised (not stored: disk full)');
      this.emit('changed', this.active());
      return;
    }
    this.volatile.delete(key);
    this.log.warn({ alarm: a.alarm, severity: a.severity, device: a.device, detail: a.detail }, 'alarm raised');
    this.emit('changed', this.active());
  }

  clear(alarm: string, device?: string): void {
    const current = this.table.get(alarm, device);
    if (!current) {
      this.clearVolatile(volatileKey(alarm, device));
      return;
    }
    try {
      this.table.delete(alarm, device);
      this.outbox.append({
        type: 'alarm.cleared',
        device,
        data: { alarm, severity: current.severity, since: current.since },
      });
    } catch (err) {
      if (!unwritable(err)) throw err;
      // Cleared all the same; still in the table, it is deleted once the disk takes writes.
      this.log.error({ alarm, device, code: 'STORE_FULL' }, 'alarm cleared (not stored: disk full)');
      if (this.table.get(alarm, device)) this.unwrittenClears.set(volatileKey(alarm, device), { alarm, device });
      this.emit('changed', this.active());
      return;
    }
    this.log.info({ alarm, device }, 'alarm cleared');
    this.emit('changed', this.active());
  }

  /**
   * Records that `by` took the active alarm on; the first acknowledgement of an alarm's life stands
   * and is returned again to whoever acknowledges it later. Undefined when the alarm is not active.
   * Throws StoreFullError when the disk is full (nothing was recorded).
   */
  acknowledge(alarm: string, device: string | undefined, by: string, note?: string): ActiveAlarm | undefined {
    const key = volatileKey(alarm, device);
    if (this.unwrittenClears.has(key)) return undefined;
    const ack: AlarmAcknowledgement = { by, at: this.now().toISOString(), ...(note !== undefined ? { note } : {}) };
    const event = { type: 'alarm.acknowledged', device, data: { alarm, ...(device !== undefined ? { device } : {}), by, ...(note !== undefined ? { note } : {}) } };
    const held = this.volatile.get(key);
    if (held) {
      // An alarm held in memory (the store took no writes): acknowledged there, as it is published.
      if (held.acknowledged) return held;
      held.acknowledged = ack;
      this.outbox.append(event);
    } else {
      const current = this.table.get(alarm, device);
      if (!current) return undefined;
      if (current.acknowledged) return current;
      this.table.acknowledge(alarm, device, ack);
      this.outbox.append(event);
    }
    this.log.info({ alarm, device, by }, 'alarm acknowledged');
    this.emit('changed', this.active());
    return held ?? this.table.get(alarm, device);
  }

  private retryClears(): void {
    if (this.unwrittenClears.size === 0) return;
    const pending = [...this.unwrittenClears.values()];
    this.unwrittenClears.clear();
    for (const { alarm, device } of pending) this.clear(alarm, device);
  }
}

/** Store-level alarms (disk full) are keyed by name; a device's by name and device. */
const volatileKey = (alarm: string, device: string | undefined): string => (device === undefined ? alarm : `${alarm}@${device}`);

const unwritable = (err: unknown): boolean => err instanceof StoreFullError;

/** Whether `after` is worse than `before` (ALARM_SEVERITIES is worst first). */
const rises = (before: AlarmSeverity, after: AlarmSeverity): boolean => ALARM_SEVERITIES.indexOf(after) < ALARM_SEVERITIES.indexOf(before);
