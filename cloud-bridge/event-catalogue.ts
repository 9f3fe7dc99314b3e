import { z } from 'zod';
import { DEVICE_KINDS } from '../config/device-kinds.js';
import { ALARM_SEVERITIES } from './alarm-catalogue.js';
import { jsonValue, timestamp, ulid } from './contract-primitives.js';

/**
 * Every event type the gateway writes to its outbox (and so publishes on `S/events`), with a zod
 * schema of its `data`: docs/alarms-and-events.md and docs/contract/events/*.schema.json are
 * generated from it. Objects are loose because fields are added, never renamed: a consumer
 * ignores the fields it does not know. test/cloud-bridge/catalogues.test.ts fails when the code
 * records a type this lacks or this lists a type nothing records, and validates real traffic.
 */

const door = z.number().int().min(1).describe('door number, from 1');
const slot = z.number().int().min(1).describe('door number of a cabinet slot, from 1');
const batteryId = z.string().nullable().optional().describe('the battery\'s id as the cabinet reports it; null or absent when it reports none');
const soc = z.number().nullable().optional().describe('state of charge in %, as the cabinet reports it');
const via = z.string().min(1).describe('where the token came from: `cloud`, or the id of the scanner that read it');
const sub = z.string().optional().describe('the worker (the token\'s `sub`), when known');
const swapId = ulid.describe('the swap\'s id, as the swap command\'s reply gave it');
const SWAP_ABORT_REASONS = ['insert-timeout', 'door-jammed', 'no-battery', 'take-timeout', 'device-error', 'stopped'] as const;

export interface EventEntry {
  description: string;
  /** The device the event's `device` names, or `station` when the event carries none. */
  device: (typeof DEVICE_KINDS)[number] | 'station' | 'any';
  data: z.ZodType;
}

const doorData = z.looseObject({ door });

export const EVENT_CATALOGUE = {
  'access.granted': {
    description: 'A token was accepted; written before the door opens, the swap starts or the water flows.',
    device: 'any',
    data: z.looseObject({
      res: z.string().describe('the resource the token names'),
      act: z.string().describe('the action it allows'),
      sub: z.string().describe('the worker'),
      role: z.enum(['worker', 'operator']),
      via,
      jti: z.string().optional().describe('a token\'s id (each is used once); a rolling code has `pass` and `step` instead'),
      pass: z.string().optional().describe('a rolling code\'s pass id (its cti, base64url); the code itself is never written'),
      step: z.number().int().min(0).optional().describe('the rolling code\'s time step (one use per pass and step)'),
      kid: z.string().describe('the key that signed it'),
      clock: z.string().describe('how far the station\'s clock was trusted when it checked the token'),
      reason: z.string().optional().describe('the operator\'s reason given with the request (cmd/unlock `reason`, 1..200 characters)'),
    }),
  },
  'access.denied': {
    description: 'A token or a scan was refused; floods are written once a minute with `attempts`, the count since.',
    device: 'any',
    data: z.looseObject({
      code: z.string().describe('the refusal\'s error code, as in a command reply (docs/errors.md)'),
      reason: z.string().describe('for people'),
      via,
      attempts: z.number().int().min(1).optional().describe('refusals of this kind since the last one written'),
      scope: z.enum(['worker', 'source']).optional().describe('for BUSY: whose attempt budget ran out'),
      res: z.string().optional(),
      act: z.string().optional(),
      sub: z.string().optional(),
      jti: z.string().optional(),
      requestReason: z.string().optional().describe('the operator\'s reason given with the request (cmd/unlock `reason`); `reason` is the refusal\'s'),
    }),
  },
  'door.opened': { description: 'A door sensor saw the door open.', device: 'door-lock', data: doorData },
  'door.closed': { description: 'A door sensor saw the door close.', device: 'door-lock', data: doorData },
  'exit.pressed': { description: 'Someone pressed the exit button inside.', device: 'door-lock', data: doorData },
  'door.forced': { description: 'The door opened while locked (with the door.forced alarm).', device: 'door-lock', data: doorData },
  'door.held': { description: 'The door stayed open too long (with the door.held alarm).', device: 'door-lock', data: z.looseObject({ door, seconds: z.number().min(0).describe('how long it has been open') }) },
  'swap.started': {
    description: 'A battery swap began: the empty slot is offered for the rider\'s battery.',
    device: 'battery-cabinet',
    data: z.looseObject({ swapId, sub, emptySlot: slot.describe('the slot offered for the returned battery') }),
  },
  'swap.completed': {
    description: 'The rider put their battery in and took a charged one.',
    device: 'battery-cabinet',
    data: z.looseObject({
      swapId,
      sub,
      returnedSlot: slot,
      returnedBatteryId: batteryId,
      returnedSoc: soc,
      takenSlot: slot,
      takenBatteryId: batteryId,
      takenSoc: soc,
      packType: z.string().nullable().optional().describe('the battery type, e.g. 48V'),
    }),
  },
  'swap.aborted': {
    description: 'A swap ended without an exchange; `reason` says why.',
    device: 'battery-cabinet',
    data: z.looseObject({
      swapId,
      sub,
      reason: z.enum(SWAP_ABORT_REASONS),
      emptySlot: slot,
      returnedSlot: slot.optional(),
      returnedBatteryId: batteryId,
      returnedSoc: soc,
      offeredSlot: slot.optional(),
      jammedSlot: slot.optional(),
      handedBack: z.boolean().optional().describe('the returned battery was handed back to the rider'),
      error: z.string().optional(),
    }),
  },
  'water.dispensed': {
    description: 'A water session ended.',
    device: 'water-dispenser',
    data: z.looseObject({
      ml: z.number().int().min(0),
      litres: z.number().min(0).optional(),
      sub,
      startedAt: timestamp.optional(),
    }),
  },
  'occupancy.session': {
    description: 'The station was occupied and is empty again.',
    device: 'occupancy',
    data: z.looseObject({ enteredAt: timestamp, leftAt: timestamp, peakPeople: z.number().int().min(0), seconds: z.number().int().min(0) }),
  },
  'alarm.raised': {
    description: 'An alarm was raised (or its severity changed); docs/alarms-and-events.md lists the alarms.',
    device: 'any',
    data: z.looseObject({ alarm: z.string().min(1), severity: z.enum(ALARM_SEVERITIES), detail: z.record(z.string(), jsonValue).optional() }),
  },
  'alarm.cleared': {
    description: 'An alarm is over.',
    device: 'any',
    data: z.looseObject({ alarm: z.string().min(1), severity: z.enum(ALARM_SEVERITIES), since: timestamp.describe('when it was raised') }),
  },
  'alarm.acknowledged': {
    description: 'An operator acknowledged an active alarm (`cmd/ack`); `device` is the alarm\'s device, if it has one.',
    device: 'any',
    data: z.looseObject({
      alarm: z.string().min(1),
      device: z.string().min(1).optional().describe('the alarm\'s device, as the alarm names it'),
      by: z.string().min(1).describe('the operator (the credential\'s `sub`)'),
      note: z.string().min(1).max(200).optional(),
    }),
  },
  'resource.service': {
    description: 'An operator took a resource out of service or put it back (`cmd/service`); `device` is the resource\'s device.',
    device: 'any',
    data: z.looseObject({
      resource: z.string().min(1).describe('the resource, as the station file names it'),
      enabled: z.boolean().describe('false: out of service; true: back in service'),
      by: z.string().min(1).describe('the operator (the credential\'s `sub`)'),
      reason: z.string().min(1).max(200).optional().describe('the operator\'s reason, when given'),
    }),
  },
  'device.online': {
    description: 'A device answered again (or for the first time since start).',
    device: 'any',
    data: z.looseObject({ kind: z.enum(DEVICE_KINDS), model: z.string() }),
  },
  'device.offline': {
    description: 'A device stopped answering (with the device.offline alarm).',
    device: 'any',
    data: z.looseObject({ code: z.string().describe('the last error code (docs/errors.md)'), message: z.string() }),
  },
  'gateway.started': {
    description: 'The gateway started.',
    device: 'station',
    data: z.looseObject({
      version: z.string(),
      bootId: ulid.describe('this boot; the birth and Last Will carry the same one'),
      bootCount: z.number().int().min(1).optional().describe('starts of this gateway on this store'),
      simulated: z.literal(true).optional().describe('written by the fleet simulator, not a station'),
    }),
  },
  'fire.started': {
    description: 'Smoke in the station: charging held off in every cabinet, every door released.',
    device: 'station',
    data: z.looseObject({ smokeAt: z.array(z.string()).min(1).describe('the devices that see smoke'), doors: z.number().int().min(0).describe('how many doors were released') }),
  },
  'diagnostics.requested': {
    description: 'An operator asked for the station\'s logs or doctor checks from afar (cmd/logs, cmd/doctor), granted or refused; junk and rate-limited requests are written once a minute with `attempts`.',
    device: 'station',
    data: z.looseObject({
      command: z.enum(['logs', 'doctor']).describe('what was asked'),
      granted: z.boolean(),
      via: z.literal('cloud'),
      code: z.string().optional().describe('for a refusal: its error code, as in the reply (docs/errors.md)'),
      reason: z.string().optional().describe('for a refusal: for people'),
      sub: z.string().optional().describe('the operator (the token\'s `sub`), once its signature verified'),
      role: z.enum(['worker', 'operator']).optional(),
      jti: z.string().optional().describe('the token\'s id (a diagnose token may be used for several pages within its lifetime)'),
      pass: z.string().optional().describe('for an operator pass\'s rolling code: the pass\'s id (cti, base64url) instead of a jti'),
      step: z.number().int().min(0).optional().describe('for a rolling code: its time step (a diagnose code is not spent: several pages may carry one)'),
      kid: z.string().optional().describe('the key that signed it'),
      act: z.string().optional().describe('for a refusal: the action the token allows'),
      res: z.string().optional().describe('for a refusal: the resource the token names'),
      filters: z.record(z.string(), jsonValue).optional().describe('logs: the filters as asked (since, until, type, device, sessions, limit, cursor)'),
      rows: z.number().int().min(0).optional().describe('logs: rows sent in this page'),
      truncated: z.boolean().optional().describe('logs: the page stopped at its size cap or limit'),
      omitted: z.number().int().min(1).optional().describe('logs: rows too large for a page, sent without their data'),
      checks: z.number().int().min(0).optional().describe('doctor: checks reported'),
      ok: z.boolean().optional().describe('doctor: no check failed'),
      attempts: z.number().int().min(1).optional().describe('refusals of this kind since the last one written'),
    }),
  },
  'fire.ended': { description: 'Smoke cleared everywhere: doors back to normal, charging allowed again.', device: 'station', data: z.looseObject({}) },
} as const satisfies Record<string, EventEntry>;

export type EventType = keyof typeof EVENT_CATALOGUE;
export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** The catalogue entry of an event type, if it has one. */
export function eventEntry(type: string): EventEntry | undefined {
  return Object.hasOwn(EVENT_CATALOGUE, type) ? (EVENT_CATALOGUE as Record<string, EventEntry>)[type] : undefined;
}
