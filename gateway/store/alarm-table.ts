import type { Database, Statement } from 'better-sqlite3';
import { ALARM_SEVERITIES, type AlarmSeverity } from '../../cloud-bridge/alarm-catalogue.js';
import type { ActiveAlarm, AlarmAcknowledgement } from '../../cloud-bridge/contract-schemas.js';
import { translateWriteError } from './store-errors.js';

interface Row {
  alarm: string;
  device: string;
  severity: AlarmSeverity;
  detail: string | null;
  since: string;
  ack_by: string | null;
  ack_at: string | null;
  ack_note: string | null;
}


/**
 * Active alarms on disk, so a restart neither forgets an open alarm (a leak stays a leak) nor
 * raises it again as new, nor forgets who acknowledged it. One row per alarm and device.
 */
export class AlarmTable {
  private upsert!: Statement;
  private remove!: Statement;
  private selectOne!: Statement;
  private selectAll!: Statement;
  private ack!: Statement;

  constructor(db: Database) {
    this.rebind(db);
  }

  /** Queries `db` from now on (see EventOutbox.rebind). */
  rebind(db: Database): void {
    this.upsert = db.prepare(
      'INSERT INTO alarms (alarm, device, severity, detail, since, ack_by, ack_at, ack_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alarm, device) DO UPDATE SET severity = excluded.severity, detail = excluded.detail, ack_by = excluded.ack_by, ack_at = excluded.ack_at, ack_note = excluded.ack_note',
    );
    this.remove = db.prepare('DELETE FROM alarms WHERE alarm = ? AND device = ?');
    this.selectOne = db.prepare('SELECT * FROM alarms WHERE alarm = ? AND device = ?');
    this.selectAll = db.prepare('SELECT * FROM alarms');
    // Only the first acknowledgement of an alarm's life is written: two operators racing see who took it.
    this.ack = db.prepare('UPDATE alarms SET ack_by = ?, ack_at = ?, ack_note = ? WHERE alarm = ? AND device = ? AND ack_by IS NULL');
  }

  /**
   * Stores the alarm as given, its acknowledgement (or the lack of one) included; a repeated raise
   * updates severity, detail and acknowledgement, keeps `since`. Throws StoreFullError when the disk is full.
   */
  put(alarm: ActiveAlarm): void {
    const ack = alarm.acknowledged;
    try {
      this.upsert.run(alarm.alarm, alarm.device ?? '', alarm.severity, alarm.detail ? JSON.stringify(alarm.detail) : null, alarm.since, ack?.by ?? null, ack?.at ?? null, ack?.note ?? null);
    } catch (err) {
      translateWriteError(err);
    }
  }

  /**
   * Records the acknowledgement on the active alarm unless it has one; returns the alarm as it now
   * stands (with the first acknowledgement), or undefined when it is not active. Throws StoreFullError.
   */
  acknowledge(alarm: string, device: string | undefined, ack: AlarmAcknowledgement): ActiveAlarm | undefined {
    try {
      this.ack.run(ack.by, ack.at, ack.note ?? null, alarm, device ?? '');
    } catch (err) {
      translateWriteError(err);
    }
    return this.get(alarm, device);
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
  const alarm: ActiveAlarm = {
    alarm: r.alarm,
    severity: r.severity,
    device: r.device || undefined,
    detail: r.detail !== null ? (JSON.parse(r.detail) as Record<string, unknown>) : undefined,
    since: r.since,
  };
  // Set only when there is one: S/alarms is compared and published as the JSON it serialises to.
  if (r.ack_by !== null && r.ack_at !== null) alarm.acknowledged = { by: r.ack_by, at: r.ack_at, ...(r.ack_note !== null ? { note: r.ack_note } : {}) };
  return alarm;
}
