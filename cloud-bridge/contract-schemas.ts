import { z } from 'zod';
import { geoPositionSchema } from '../config/station-schema.js';
import { DEVICE_KINDS } from '../config/device-kinds.js';
import { errorCodesIn, type ErrorCodeIn } from '../config/error-catalogue.js';
import { ALARM_SEVERITIES } from './alarm-catalogue.js';
import { jsonValue, timestamp, ulid } from './contract-primitives.js';
import { EVENT_TYPES } from './event-catalogue.js';
import { revocationStatusSchema } from './revocation-contract.js';

export { ALARM_SEVERITIES, timestamp };

/**
 * The cloud contract's payloads as zod schemas: the one source of truth. The gateway parses
 * commands with them, `write-contract-reference` turns them into docs/contract/*.schema.json and
 * docs/mqtt-topics.md, and the tests validate what the gateway publishes against those files
 * with an independent validator (ajv).
 */

const deviceId = z.string().min(1).describe('device id from the station configuration');

/*
 * Slot numbers (docs/decisions.md): every field that names a cabinet slot for people (`slot`,
 * `emptySlot`, `takenSlot`, ...) holds the door number, from 1, as printed on the cabinet. The
 * wire's 0-based index appears only as the position in a device state's `slots[]`.
 */
const DOOR_NUMBER = 'door number, from 1, as printed on the cabinet (slots[i] is door i + 1)';
const SLOT_FIELDS = 'cabinet slots in `slot`, `emptySlot`, `returnedSlot`, `takenSlot`, `offeredSlot`, `jammedSlot` are door numbers, from 1';

/**
 * A cabinet's `slots[]` items each carry `slot`, their door number. Given as JSON Schema beside the
 * open record (not as a zod object) so the payload's type stays the drivers' `Points`; what is
 * published is checked against it by the contract tests.
 */
const slotsPoint = {
  type: 'array',
  description: 'a battery cabinet\'s slots in register order: slots[0] is door 1',
  items: { type: 'object', required: ['slot'], properties: { slot: { type: 'integer', minimum: 1, description: DOOR_NUMBER } } },
};

const deviceInfo = z.strictObject({ id: deviceId, kind: z.enum(DEVICE_KINDS), model: z.string().describe('device model, e.g. CAB-REF') });

const location = geoPositionSchema
  .optional()
  .describe('where the station stands, {"lat","lon"} in WGS-84 decimal degrees, as configured (station.location); absent when not configured');

/** What a resource of the station file can be used for (the `act` a token or code names for it). */
export const RESOURCE_ACTIONS = ['unlock', 'swap', 'dispense', 'operate'] as const;
export type ResourceAction = (typeof RESOURCE_ACTIONS)[number];

/** The birth lists at most this many resources; a station file with more sends none (readers then ask for the name). */
export const MAX_BIRTH_RESOURCES = 64;

const stationResource = z.strictObject({
  name: z.string().min(1).max(64).describe('the resource as the station file names it: what a token or rolling code names in `res`'),
  device: deviceId.describe('the device that carries it out'),
  door: z.number().int().min(1).max(16).optional().describe('door-lock resources: the door number on the controller (as in the lock\'s `doors`)'),
  actions: z
    .array(z.enum(RESOURCE_ACTIONS))
    .max(RESOURCE_ACTIONS.length)
    .describe('what a token may do with it, by its device\'s kind: `unlock` for an entrance, `swap`/`operate` for a cabinet, `dispense` for a dispenser; empty for a kind with none (cmd/service applies to every resource)'),
  outOfService: z.boolean().optional().describe('true when the station file takes it out of service (`outOfService: true`; no command puts it back); absent otherwise. Taken out by cmd/service: see `availability.outOfService`'),
});
export type StationResource = z.output<typeof stationResource>;

export const birthSchema = z
  .strictObject({
    online: z.literal(true),
    ts: timestamp,
    version: z.string().describe('gateway version'),
    bootId: ulid.describe('made at each start of the gateway; the Last Will carries the same one'),
    devices: z.array(deviceInfo).describe('the devices this station drives'),
    location,
    timezone: z
      .string()
      .min(1)
      .optional()
      .describe('the station\'s IANA time zone as configured (station.timezone, UTC unless set), e.g. Asia/Shanghai: the zone its opening hours and local times are in. Added after 0.1; absent from older gateways, whose readers should assume nothing'),
    certificate: z
      .strictObject({
        notAfter: timestamp.describe('when the client certificate the station connected with expires'),
        daysLeft: z.number().describe('days from `ts` until then; negative once expired'),
      })
      .optional()
      .describe('present when the station connects with a client certificate (an enrolled station renews it before `cloud.renewBeforeDays`)'),
    revocations: revocationStatusSchema.optional(),
    resources: z
      .array(stationResource)
      .max(MAX_BIRTH_RESOURCES)
      .optional()
      .describe(`the resources of the station file, by name, so a console can name the door it unlocks. At most ${MAX_BIRTH_RESOURCES} (a station has a few; a file with more sends none). Added after 0.1; absent from older gateways, whose readers ask the operator for the name`),
  })
  .meta({ title: 'status (birth)', description: 'Published retained on every (re)connect.' });

export const offlineSchema = z
  .strictObject({
    online: z.literal(false),
    bootId: ulid.describe('the boot that went offline'),
    ts: timestamp.optional().describe('present on a clean shutdown; absent in the Last Will, which the broker sends for a crash or a lost link'),
    location,
  })
  .meta({ title: 'status (offline)', description: 'The Last Will, or a clean shutdown.' });

export const statusSchema = z.union([birthSchema, offlineSchema]).meta({ title: 'status', description: 'Birth, Last Will or clean offline.' });

export const deviceStateSchema = z
  .strictObject({
    ts: timestamp,
    online: z.boolean().describe('false after `offlineAfter` failed polls in a row'),
    kind: z.enum(DEVICE_KINDS),
    model: z.string(),
    points: z
      .record(z.string(), jsonValue)
      .describe('the values the device profile names (numbers, booleans, strings, nested records and arrays); a cabinet\'s `slots[i]` carries `slot`, its door number (i + 1)')
      .meta({ properties: { slots: slotsPoint } }),
    health: z.strictObject({
      lastSeen: timestamp.nullable().describe('last good read; null if never'),
      errors: z.record(z.string(), z.number().int().min(0)).describe('failures by code, lower case (timeout, crc, ...)'),
      latencyMs: z.number().min(0).nullable().describe('smoothed poll latency'),
    }),
  })
  .meta({ title: 'device state', description: 'Retained; on change beyond the deadbands, on online/offline, and at least every heartbeatSeconds.' });

export const alarmSchema = z.strictObject({
  alarm: z.string().min(1).describe('what is wrong, e.g. door.held, water.tank-low, device.offline, slot.overheat.3 (the slot behind door 3); docs/alarms-and-events.md lists them all'),
  severity: z.enum(ALARM_SEVERITIES),
  device: deviceId.optional().describe('the device concerned, if one'),
  detail: z.record(z.string(), jsonValue).optional().describe(`values that explain it; ${SLOT_FIELDS} (slot.overheat.<n>: n is the door number too)`),
  since: timestamp.optional().describe('when it was raised'),
  acknowledged: z
    .strictObject({
      by: z.string().min(1).describe('the operator (the `sub` of the pass or token that acknowledged it)'),
      at: timestamp.describe('when the station recorded it'),
      note: z.string().min(1).max(200).optional().describe('what the operator wrote, if anything'),
    })
    .optional()
    .describe('present once an operator acknowledged it (`cmd/ack`): someone is on it. The alarm stays active until its source clears it; a clear ends the acknowledgement with it, and so does a rise in severity (a worse condition needs handling again)'),
});
export type Alarm = z.output<typeof alarmSchema>;
/** Who acknowledged an active alarm, and when: kept with the alarm in the store. */
export type AlarmAcknowledgement = NonNullable<Alarm['acknowledged']>;

/*
 * The one alarm shape, the contract's: station logic holds it with a `detail` of any values that
 * serialise to JSON (the schema checks them on the wire), raises it without `since`, and keeps it
 * active with `since` set.
 */
/** An alarm as station logic holds it and hands it to the bridge. */
export type AlarmInput = Omit<Alarm, 'detail'> & { detail?: Record<string, unknown> | undefined };
/** What a source raises: `since` is the alarm table's to set, `acknowledged` an operator's. */
export type AlarmRaise = Omit<AlarmInput, 'since' | 'acknowledged'>;
/** An active alarm as the station keeps it and `S/alarms` lists it. */
export type ActiveAlarm = AlarmRaise & { since: string; acknowledged?: AlarmAcknowledgement | undefined };

export const alarmsSchema = z
  .strictObject({ ts: timestamp, alarms: z.array(alarmSchema).describe('every alarm active now; empty when none') })
  .meta({ title: 'alarms', description: 'Retained: the alarms active now, replaced whole on every change.' });

/** Why the entrance cannot be used (gateway/station/availability-rule.ts decides), most urgent first. */
export const DOOR_CLOSED_REASONS = ['smoke', 'out-of-service', 'doors-offline'] as const;

/** Who took a resource out of service, and whence: the station file, or an operator's cmd/service. */
export const OUT_OF_SERVICE_SOURCES = ['config', 'command'] as const;

const outOfServiceEntry = z.strictObject({
  resource: z.string().min(1).describe('the resource, as the station file names it'),
  since: timestamp.describe('when it went out of service (for `config`: when the station file was loaded)'),
  device: deviceId.optional().describe('for a cabinet slot: the battery cabinet (cmd/slot\'s `device`); absent for a whole resource'),
  slot: z.number().int().min(1).optional().describe('for a cabinet slot: its door number, from 1 (cmd/slot); absent for a whole resource, whose `resource` is then out of service as a whole'),
  by: z.string().optional().describe('the operator (the credential\'s `sub`), for `command`'),
  reason: z.string().optional().describe('the operator\'s reason, when one was given'),
  source: z.enum(OUT_OF_SERVICE_SOURCES).describe('`config`: `outOfService: true` in the station file (not undone by command); `command`: cmd/service, or cmd/slot for an entry with `slot`'),
});
export type OutOfServiceEntry = z.output<typeof outOfServiceEntry>;

export const availabilitySchema = z
  .strictObject({
    ts: timestamp,
    outOfService: z
      .array(outOfServiceEntry)
      .optional()
      .describe('the resources out of service now, by resource name; empty when none (absent from stations before cmd/service)'),
    open: z.boolean().describe('whether a worker can use the station now: false outside opening hours, and whenever services.doors.usable is false'),
    services: z
      .record(z.string(), jsonValue)
      .describe(`what a map or app shows, by service: e.g. doors {"usable":true} (or {"usable":false,"reason":"smoke"}: not usable for entry; reason ${DOOR_CLOSED_REASONS.join(', ')}), batteries {"ready":{"48V":3}} (ready batteries by pack type), water {"ok":true}, occupancy {"inside":1}`)
      // As JSON Schema beside the open record, like a cabinet's slots: the type stays a record.
      .meta({
        properties: {
          doors: {
            type: 'object',
            required: ['usable'],
            properties: { usable: { type: 'boolean', description: 'whether a worker can get in' }, reason: { enum: [...DOOR_CLOSED_REASONS], description: 'why not, when usable is false' } },
          },
        },
      }),
  })
  .meta({ title: 'availability', description: 'Retained: what a map or an app shows a worker.' });
export type Availability = Omit<z.output<typeof availabilitySchema>, 'ts'>;

export const eventSchema = z
  .strictObject({
    id: ulid.describe('unique and sortable; consumers dedup by it (delivery is at least once)'),
    ts: timestamp,
    type: z
      .string()
      .regex(/^[a-z]+(\.[a-z]+)+$/)
      .describe(`${EVENT_TYPES.join(', ')} (extended, never renamed; docs/alarms-and-events.md has the schema of each type's data)`),
    device: deviceId.optional(),
    data: z.record(z.string(), jsonValue).describe(`the event's values; ${SLOT_FIELDS}`),
  })
  .meta({ title: 'event', description: 'The usage and access log, from the durable outbox, in order per station, QoS 1, at least once.' });

/** The 3.1.1 fallback fields every request may carry; on MQTT 5 the properties are used instead. */
const requestEnvelope = {
  replyTo: z.string().min(1).optional().describe('MQTT 3.1.1: where to reply (MQTT 5: the responseTopic property)'),
  correlationId: z.string().min(1).max(256).optional().describe('MQTT 3.1.1: echoed in the reply (MQTT 5: the correlationData property)'),
  expiresAt: timestamp.optional().describe('a request handled after this does nothing and answers EXPIRED (MQTT 5 may use the message expiry instead)'),
};
const token = z.string().min(1).max(4096).describe('what authorises the command: an access token (JWS), or a pass\'s rolling code (`RC1:`, docs/passes.md)');

export const commandSchemas = {
  unlock: z
    .looseObject({
      token,
      reason: z.string().min(1).max(200).optional().describe('why an operator opens the door from afar, 1..200 characters; recorded as `reason` in the access.granted or access.denied event of this request'),
      ...requestEnvelope,
    })
    .meta({ title: 'cmd/unlock', description: 'Releases the door the token names.' }),
  swap: z.looseObject({ token, ...requestEnvelope }).meta({ title: 'cmd/swap', description: 'Starts a battery swap on the cabinet the token names.' }),
  dispense: z.looseObject({ token, ...requestEnvelope }).meta({ title: 'cmd/dispense', description: 'Opens a water session on the dispenser the token names.' }),
  snapshot: z.looseObject({ ...requestEnvelope }).meta({ title: 'cmd/snapshot', description: 'Replies with the whole station state.' }),
  slot: z
    .looseObject({
      token,
      device: deviceId.describe('the battery cabinet'),
      slot: z.number().int().min(1).describe(DOOR_NUMBER),
      enabled: z.boolean().describe('false takes the slot out of service'),
      reason: z.string().min(1).max(200).optional().describe('why, 1..200 characters: shown in `S/availability` `outOfService` beside the slot'),
      ...requestEnvelope,
    })
    .meta({ title: 'cmd/slot', description: 'An operator takes a cabinet slot out of service or back (kept across restarts); while out, `S/availability` lists it in `outOfService` with `device`, `slot`, `by`, `since` and `reason`. Taking out a slot already out keeps the first record.' }),
  ack: z
    .looseObject({
      token: token.describe('an operator\'s rolling code (`RC1:`, docs/passes.md) or token, role operator, with act `operate` and res the station id; spent like an unlock\'s'),
      alarm: z.string().min(1).max(200).describe('the alarm, as `S/alarms` names it (e.g. door.forced)'),
      device: deviceId.optional().describe('the device, as the alarm has it; absent for an alarm without one'),
      note: z.string().min(1).max(200).optional().describe('what the operator wants on record beside the acknowledgement'),
      ...requestEnvelope,
    })
    .meta({
      title: 'cmd/ack',
      description:
        'An operator acknowledges an active alarm: recorded with it (kept across restarts) and listed in `S/alarms` as `acknowledged`; the result is `{alarm, device?, acknowledged:{by, at, note?}}`. Acknowledging an acknowledged alarm returns the first acknowledgement unchanged. An alarm that is not active is refused NOT_ACTIVE. Opens nothing.',
    }),
  service: z
    .looseObject({
      token: token.describe('an operator\'s rolling code (`RC1:`, docs/passes.md) or token, role operator, with act `operate` and res the resource named; spent like an unlock\'s'),
      resource: z.string().min(1).max(64).describe('the resource, as the station file names it (main-door, cabinet-1, water-1, ...): any kind'),
      enabled: z.boolean().describe('false takes the resource out of service, true puts it back'),
      reason: z.string().min(1).max(200).optional().describe('why, 1..200 characters: shown in `S/availability` `outOfService` and recorded in the resource.service event'),
      ...requestEnvelope,
    })
    .meta({
      title: 'cmd/service',
      description:
        'An operator takes a resource out of service or puts it back (kept across restarts): while out, every credential for it is refused FORBIDDEN and `S/availability` lists it in `outOfService`. The result is `{resource, enabled, changed}`. A resource out of service in the station file cannot be put back by command (FORBIDDEN); an unknown one is UNKNOWN_RESOURCE.',
    }),
  logs: z
    .looseObject({
      token: token.describe('an operator token (JWS), or an operator pass\'s rolling code (`RC1:`), with act `diagnose` and res the station id (docs/diagnostics.md)'),
      since: timestamp.optional().describe('events (or sessions) at or after this instant, ISO-8601 UTC'),
      until: timestamp.optional().describe('before this instant'),
      type: z.string().min(1).max(200).optional().describe('event types, comma-separated, `access.*` for a prefix (as `station-gateway log --type`); with `sessions`, the session kind'),
      device: deviceId.optional().describe('only this device'),
      sessions: z.boolean().optional().describe('usage sessions (swap, water, occupancy, ...) instead of events'),
      limit: z.number().int().min(1).max(10_000).optional().describe('at most this many rows over all pages; a page holds fewer when its size cap is reached'),
      cursor: z.string().min(1).max(200).optional().describe('the `next` of the previous page: carries on after it with the same filters'),
      ...requestEnvelope,
    })
    .meta({ title: 'cmd/logs', description: 'Reads the usage log for a time range, paged, each reply bounded in size. Audited as a `diagnostics.requested` event.' }),
  doctor: z
    .looseObject({ token: token.describe('an operator token (JWS), or an operator pass\'s rolling code (`RC1:`), with act `diagnose` and res the station id (docs/diagnostics.md)'), ...requestEnvelope })
    .meta({ title: 'cmd/doctor', description: 'Replies with the doctor checks that are safe on a running station (no device probing, no second broker connection). Audited as a `diagnostics.requested` event.' }),
} as const;
export type CommandName = keyof typeof commandSchemas;
export const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];
export type CommandRequest<N extends CommandName> = z.output<(typeof commandSchemas)[N]>;

/**
 * The codes a command reply may carry: the `command` codes of the error catalogue
 * (config/error-catalogue.ts), in its order, which is the order of the reply schema's enum.
 */
export const COMMAND_ERROR_CODES: readonly CommandErrorCode[] = errorCodesIn('command');
export type CommandErrorCode = ErrorCodeIn<'command'>;

const correlationId = z.string().optional().describe('MQTT 3.1.1: the request’s correlationId (MQTT 5: the correlationData property)');

export const replySchema = z
  .union([
    z.strictObject({ ok: z.literal(true), result: z.record(z.string(), jsonValue).describe(`the command's result; ${SLOT_FIELDS}`), correlationId }),
    z.strictObject({
      ok: z.literal(false),
      error: z.strictObject({ code: z.enum(COMMAND_ERROR_CODES), message: z.string().describe('for people; the code is for programs') }),
      correlationId,
    }),
  ])
  .meta({ title: 'command reply', description: 'On the request’s responseTopic (MQTT 5) or replyTo (3.1.1), QoS 1, not retained.' });

export const snapshotResultSchema = z
  .strictObject({
    station: z.string(),
    ts: timestamp,
    version: z.string(),
    bootId: ulid,
    devices: z.record(z.string(), deviceStateSchema.nullable()).describe('latest state of every device by id; null before its first poll'),
    alarms: z.array(alarmSchema).nullable().describe('null until the alarm logic has reported'),
    availability: availabilitySchema.omit({ ts: true }).nullable().describe('null until the station logic has reported'),
    outbox: z.strictObject({ pending: z.number().int().min(0).describe('events not yet acknowledged by the broker') }),
  })
  .meta({ title: 'snapshot result', description: 'The `result` of a successful snapshot reply.' });
export type SnapshotResult = z.output<typeof snapshotResultSchema>;

const logEventRow = z.strictObject({
  id: ulid,
  ts: timestamp,
  type: z.string(),
  device: deviceId.optional(),
  data: z.record(z.string(), jsonValue),
  deliveredAt: timestamp.optional().describe('when the broker acknowledged it on S/events; absent while pending'),
});

const logSessionRow = z.strictObject({
  id: z.string(),
  kind: z.string().describe('swap, water, occupancy, ...'),
  device: deviceId.optional(),
  startedAt: timestamp,
  endedAt: timestamp.optional().describe('absent while the session is open'),
  outcome: z.string().optional(),
  subject: z.string().optional().describe('the worker, when the session has one'),
  data: z.record(z.string(), jsonValue),
  startEvent: z.string().describe('the id of the event that opened it'),
  endEvent: z.string().optional().describe('the id of the event that closed it'),
});

export const logsResultSchema = z
  .strictObject({
    rows: z.union([z.array(logEventRow), z.array(logSessionRow)]).describe('events (or sessions with `sessions: true`), oldest first'),
    next: z.string().optional().describe('present when more rows match: send the same request with `cursor` set to it'),
    truncated: z.boolean().describe('true when this page stopped at its size cap or at `limit` before every matching row was sent'),
  })
  .meta({ title: 'logs result', description: 'The `result` of a successful logs reply; its serialised size stays under the page cap (docs/diagnostics.md).' });
export type LogsResult = z.output<typeof logsResultSchema>;

const checkStatus = z.enum(['pass', 'warn', 'fail']);
const unknownValue = z.literal('unknown');

export const doctorResultSchema = z
  .strictObject({
    station: z.string(),
    ts: timestamp,
    ok: z.boolean().describe('no check failed'),
    checks: z.array(z.strictObject({ check: z.string(), status: checkStatus, detail: z.string() })).describe('the rows `station-gateway doctor` would print for these checks'),
    devices: z
      .array(
        z.strictObject({
          id: deviceId,
          kind: z.enum(DEVICE_KINDS),
          model: z.string(),
          bus: z.string().describe('the transport: serial path or host:port'),
          unitId: z.number().int().optional().describe('the Modbus unit on that bus'),
          online: z.boolean(),
          lastSeen: timestamp.nullable(),
          latencyMs: z.number().min(0).nullable(),
          polls: z.number().int().min(0).describe('polls since start'),
          errors: z.record(z.string(), z.number().int().min(0)).describe('failed polls since start by code, lower case'),
        }),
      )
      .describe('what the device monitors keep; no device is probed'),
    clock: z.strictObject({
      now: timestamp,
      trusted: z.boolean(),
      reason: z.string().describe('system, synchronised, unsynchronised or behind-floor'),
      floor: timestamp.nullable().describe('the newest trusted time seen; null if none'),
    }),
    disk: z.strictObject({ path: z.string(), freeBytes: z.number().int().min(0), totalBytes: z.number().int().min(0), budgetBytes: z.number().int().min(0).describe('storage.maxMegabytes') }),
    database: z.strictObject({
      path: z.string(),
      bytes: z.number().int().min(0).describe('the database file and its WAL'),
      pending: z.number().int().min(0).describe('events not yet acknowledged by the broker'),
      oldestPending: timestamp.nullable().describe('the oldest of them; null when none'),
    }),
    certificate: z
      .union([
        z.strictObject({ file: z.string(), notAfter: timestamp, daysToExpiry: z.number().describe('fractional days; below 0 it has expired'), commonName: z.string().nullable() }),
        z.strictObject({ file: z.string(), error: z.string().describe('why it could not be read') }),
      ])
      .nullable()
      .describe('cloud.cert; null when the station connects without a client certificate'),
    sdCard: z
      .strictObject({
        device: z.string().describe('the block device, e.g. mmcblk0'),
        lifeTime: z.union([z.tuple([z.string(), z.string()]), unknownValue]).describe('eMMC/SD life_time (types A and B, 0x01 = 0-10% used ... 0x0B = beyond its life); `unknown` when the card does not report it'),
        preEol: z.union([z.enum(['normal', 'warning', 'urgent']), unknownValue]).describe('pre_eol_info; `unknown` when the card does not report it'),
      })
      .describe('SD-card wear as the card reports it, never estimated'),
  })
  .meta({ title: 'doctor result', description: 'The `result` of a successful doctor reply.' });
export type DoctorResult = z.output<typeof doctorResultSchema>;
