import type { Database, Statement } from 'better-sqlite3';
import { ALARM_SEVERITIES, type AlarmSeverity } from '../../cloud-bridge/alarm-catalogue.js';
import type { ActiveAlarm } from '../../cloud-bridge/contract-schemas.js';
import { translateWriteError } from './store-errors.js';

interface Row {
  alarm: string;
  device: string;
  severity: AlarmSeverity;
  detail: string | null;
  since: string;
}


/**
 * Active alarms on disk, so a restart neither forgets an open alarm (a leak stays a leak) nor
 * raises it again as new. One row per alarm and device.
 */
export class AlarmTable {
  private upsert!: Statement;
  private remove!: Statement;
  private selectOne!: Statement;
  private selectAll!: Statement;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.upsert = db.prepare(
      'INSERT INTO alarms (alarm, device, severity, detail, since) VALUES (?, ?, ?, ?, ?) ON CONFLICT (alarm, device) DO UPDATE SET severity = excluded.severity, detail = excluded.detail',
    );
    this.remove = db.prepare('DELETE FROM alarms WHERE alarm = ? AND device = ?');
    this.selectOne = db.prepare('SELECT * FROM alarms WHERE alarm = ? AND device = ?');
    this.selectAll = db.prepare('SELECT * FROM alarms');
  }

  /** Stores the alarm (a repeated raise updates severity and detail, keeps `since`). Throws StoreFullError when the disk is full. */
  put(alarm: ActiveAlarm): void {
    try {
      this.upsert.run(alarm.alarm, alarm.device ?? '', alarm.severity, alarm.detail ? JSON.stringify(alarm.detail) : null, alarm.since);
    } catch (err) {
      translateWriteError(err);
    }
  }

  get(alarm: string, device?: string): ActiveAlarm | undefined {
    const row = this.selectOne.get(alarm, device ?? '') as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Removes the alarm; returns whether it was active. */
  delete(alarm: string, device?: string): boolean {
    try {
      return this.remove.run(alarm, device ?? '').changes === 1;
    } catch (err) {
      translateWriteError(err);
    }
  }

  /** Every active alarm, worst first, then oldest first. */
  all(): ActiveAlarm[] {
    return (this.selectAll.all() as Row[])
      .map(fromRow)
      .sort((a, b) => ALARM_SEVERITIES.indexOf(a.severity) - ALARM_SEVERITIES.indexOf(b.severity) || a.since.localeCompare(b.since) || a.alarm.localeCompare(b.alarm));
  }
}

function fromRow(r: Row): ActiveAlarm {
  return {
    alarm: r.alarm,
    severity: r.severity,
    device: r.device || undefined,
    detail: r.detail !== null ? (JSON.parse(r.detail) as Record<string, unknown>) : undefined,
    since: r.since,
  };
}
