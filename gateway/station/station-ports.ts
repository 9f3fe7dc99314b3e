import type { ActiveAlarm, AlarmRaise } from '../../cloud-bridge/contract-schemas.js';
import type { NewEvent } from '../store/event-outbox.js';

/*
 * What station logic needs from the rest of the gateway, as small interfaces: the runtime passes
 * the real parts (EventOutbox, EventRecorder, StationAlarms, the store's settings), tests pass
 * fakes or the same real parts, and no module here constructs another's. Devices are reached
 * through their typed capabilities (device-drivers/capabilities), never a point or command name.
 */

/** Events that gate an effect: written durably before the effect, and the effect is refused if that fails. */
export interface DurableEvents {
  append(event: NewEvent): unknown;
}

/** Events that report what happened: held in memory while the disk is full (`EventRecorder`). */
export interface ReportedEvents {
  record(event: NewEvent): void;
}

export interface AlarmSink {
  raise(alarm: AlarmRaise): void;
  clear(alarm: string, device?: string): void;
  active(): ActiveAlarm[];
}

/** Small persisted settings (`StationSettings`). */
export interface SettingsStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
}

/**
 * After a restart the alarm table may still hold alarms of this device that the first fresh reading
 * no longer supports (the slot cooled while the gateway was down): clears those, returns their names.
 */
export function clearStaleAlarms(alarms: AlarmSink, device: string, owns: (alarm: string) => boolean, activeNow: ReadonlySet<string>): string[] {
  const stale = alarms.active().filter((a) => a.device === device && owns(a.alarm) && !activeNow.has(a.alarm));
  for (const a of stale) alarms.clear(a.alarm, device);
  return stale.map((a) => a.alarm);
}
