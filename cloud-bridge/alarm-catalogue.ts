import type { DeviceKind } from '../config/device-kinds.js';

/**
 * Every alarm the gateway raises, in one place: the published contract of `S/alarms` and of the
 * `alarm.raised` / `alarm.cleared` events. docs/alarms-and-events.md is generated from it, and
 * test/cloud-bridge/catalogues.test.ts fails when the code raises an alarm this lacks, raises one
 * with another severity, or when an entry here is raised by nothing.
 */

/** Worst first: `S/alarms` is sorted in this order. */
export const ALARM_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

export interface AlarmEntry {
  /** The alarm's name, or a pattern: `<n>` stands for a door number, from 1. */
  name: string;
  /** The severities it is raised with; most have one. */
  severities: readonly [AlarmSeverity, ...AlarmSeverity[]];
  /** The kind of device whose id it carries in `device`, `any` for any kind, `station` when it concerns the station. */
  raisedFor: DeviceKind | 'station' | 'any';
  raisedWhen: string;
  clearedWhen: string;
  crew: string;
}

export const ALARM_CATALOGUE = [
  {
    name: 'device.offline',
    severities: ['major'],
    raisedFor: 'any',
    raisedWhen: 'a device failed `offlineAfter` polls in a row (`detail.code` is the last error code)',
    clearedWhen: 'the next good read of that device',
    crew: 'check the device\'s power and cable (doctor names the port); the device state topic shows its error counts',
  },
  {
    name: 'store.disk-full',
    severities: ['critical'],
    raisedFor: 'station',
    raisedWhen: 'the database cannot be written (disk or file system full); published from memory, never stored',
    clearedWhen: 'the next event written to disk',
    crew: 'free space on the gateway\'s disk (logs, old `.corrupt-*` files); events meanwhile are held in memory, not lost while it runs',
  },
  {
    name: 'store.corrupt',
    severities: ['major'],
    raisedFor: 'station',
    raisedWhen: 'at start, the database failed its integrity check and was moved aside (`detail.movedTo`)',
    clearedWhen: 'never by the gateway: it stays as the record that this database began after a damaged one',
    crew: 'salvage the moved-aside file (docs/storage.md, a damaged file); replace the storage medium if it happens again',
  },
  {
    name: 'store.lost',
    severities: ['major'],
    raisedFor: 'station',
    raisedWhen: 'at start, the database is a fresh file where its anchor remembers an earlier one (`detail.reason` missing, empty or replaced)',
    clearedWhen: 'never by the gateway: it stays as the record that this database began after a loss',
    crew: 'find out what removed the file; tokens issued before the reset are refused, issue fresh ones',
  },
  {
    name: 'store.budget',
    severities: ['major', 'critical'],
    raisedFor: 'station',
    raisedWhen: 'store upkeep found the database over its size budget: major when delivered history had to go early, critical when undelivered events would have to',
    clearedWhen: 'the database is back well under its budget',
    crew: 'check the cloud link (undelivered events pile up while it is down) and `storage.maxBytes`',
  },
  {
    name: 'cloud.identity-conflict',
    severities: ['major'],
    raisedFor: 'station',
    raisedWhen: 'another connection with this station\'s client id took it off the broker (MQTT 5 session taken over, or three short-lived connections in a row)',
    clearedWhen: 'a connection has stayed up for 5 minutes',
    crew: 'find the second gateway or tool using this station id (a cloned SD card, a test bench) and stop it',
  },
  {
    name: 'door.forced',
    severities: ['critical'],
    raisedFor: 'door-lock',
    raisedWhen: 'the door opened while its lock was not released',
    clearedWhen: 'the door is closed again',
    crew: 'go and look: a break-in or a faulty door sensor',
  },
  {
    name: 'door.held',
    severities: ['major'],
    raisedFor: 'door-lock',
    raisedWhen: 'the door stayed open longer than its held-open limit (`detail.seconds`)',
    clearedWhen: 'the door is closed again',
    crew: 'check for a wedged or broken door closer',
  },
  {
    name: 'person.still',
    severities: ['critical'],
    raisedFor: 'occupancy',
    raisedWhen: 'someone inside has not moved for the still limit at night (`detail.stillSeconds`)',
    clearedWhen: 'movement, or nobody inside',
    crew: 'call or send someone: the person may need help',
  },
  {
    name: 'water.leak',
    severities: ['critical'],
    raisedFor: 'water-dispenser',
    raisedWhen: 'the dispenser\'s leak sensor reports water; dispensing stops',
    clearedWhen: 'the leak sensor is dry again',
    crew: 'shut the supply, find and fix the leak',
  },
  {
    name: 'water.tank-low',
    severities: ['warning'],
    raisedFor: 'water-dispenser',
    raisedWhen: 'the tank level is at or below `water.tankLowPercent` (`detail.tankLevel`)',
    clearedWhen: 'the tank level is back above it, with hysteresis',
    crew: 'refill the tank on the next round',
  },
  {
    name: 'water.filter-due',
    severities: ['warning'],
    raisedFor: 'water-dispenser',
    raisedWhen: 'the dispenser reports its filter due',
    clearedWhen: 'the dispenser reports the filter fine again',
    crew: 'change the filter and reset the dispenser\'s filter counter',
  },
  {
    name: 'slot.overheat.<n>',
    severities: ['critical'],
    raisedFor: 'battery-cabinet',
    raisedWhen: 'the battery behind door n is at or above the overheat limit, or flags over-temperature; the slot is locked out and its charging cut (`detail.cut`)',
    clearedWhen: 'the slot reads below the release temperature with no over-temperature flag',
    crew: 'do not open the slot; check the battery once cool and take it out of service',
  },
  {
    name: 'slot.temp-rising.<n>',
    severities: ['critical'],
    raisedFor: 'battery-cabinet',
    raisedWhen: 'the battery behind door n warms faster than the rise limit over the rise window (`detail.risePerMinute`); charging is cut',
    clearedWhen: 'the rise has stopped and the slot reads cool for the release time',
    crew: 'watch the slot for an overheat; take the battery out of service',
  },
  {
    name: 'slot.charging-not-cut.<n>',
    severities: ['critical'],
    raisedFor: 'battery-cabinet',
    raisedWhen: 'charging of the slot behind door n had to be cut and could not be (`detail.message` says why)',
    clearedWhen: 'the slot no longer needs its charging cut, or the cut succeeds',
    crew: 'cut the cabinet\'s charging power by hand',
  },
  {
    name: 'cabinet.smoke',
    severities: ['critical'],
    raisedFor: 'battery-cabinet',
    raisedWhen: 'the cabinet\'s own smoke sensor reports smoke; charging is cut and no slot is offered',
    clearedWhen: 'the smoke sensor is clear again',
    crew: 'fire procedure: do not open the cabinet; call the fire service',
  },
  {
    name: 'cabinet.safety-unproven',
    severities: ['major'],
    raisedFor: 'battery-cabinet',
    raisedWhen: 'the safety record was lost with the database (store.lost or store.corrupt): every slot is held as if it had overheated',
    clearedWhen: 'every slot has read safe once',
    crew: 'nothing unless it lasts: a slot that never reads safe needs its battery checked',
  },
  {
    name: 'station.smoke',
    severities: ['critical'],
    raisedFor: 'smoke-detector',
    raisedWhen: 'a station smoke detector reports smoke: charging is cut in every cabinet, doors released, the station closed',
    clearedWhen: 'the detector is clear again',
    crew: 'fire procedure: call the fire service; nobody goes in',
  },
  {
    name: 'smoke-detector.fault',
    severities: ['major'],
    raisedFor: 'smoke-detector',
    raisedWhen: 'the smoke detector reports a fault of its own',
    clearedWhen: 'the detector no longer reports the fault',
    crew: 'test and replace the detector: the station cannot see smoke through it',
  },
] as const satisfies readonly AlarmEntry[];

/** An alarm name the catalogue lists, a pattern's `<n>` filled in: code that names an alarm is typed by it. */
type Instance<N extends string> = N extends `${infer Prefix}.<n>` ? `${Prefix}.${number}` : N;
export type AlarmName = Instance<(typeof ALARM_CATALOGUE)[number]['name']>;

/** The entry an alarm name falls under (`slot.overheat.3` under `slot.overheat.<n>`), if any. */
export function alarmEntry(name: string): AlarmEntry | undefined {
  return (ALARM_CATALOGUE as readonly AlarmEntry[]).find((e) => e.name === name || (e.name.endsWith('<n>') && new RegExp(`^${e.name.slice(0, -3).replace(/\./g, '\\.')}[1-9]\\d*$`).test(name)));
}
