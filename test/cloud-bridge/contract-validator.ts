import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../../config/package-root.js';

/**
 * The committed JSON Schemas (docs/contract/*.schema.json, and the `data` of each event type in
 * docs/contract/events/) loaded into ajv, an implementation independent of the zod schemas they
 * were generated from: what the tests check payloads with.
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const dir = join(packageRoot(), 'docs', 'contract');
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
  validators.set(file.replace('.schema.json', ''), ajv.compile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as object));
}

const eventData = new Map<string, ValidateFunction>();
for (const file of readdirSync(join(dir, 'events')).filter((f) => f.endsWith('.schema.json'))) {
  eventData.set(file.replace('.schema.json', ''), ajv.compile(JSON.parse(readFileSync(join(dir, 'events', file), 'utf8')) as object));
}

export const contractSchemaNames = (): string[] => [...validators.keys()];
export const eventDataSchemaNames = (): string[] => [...eventData.keys()];

/** Throws when `data` does not match the schema of its event type, or the type has none. */
export function assertEventData(type: string, data: unknown): void {
  const validate = eventData.get(type);
  if (!validate) throw new Error(`no schema docs/contract/events/${type}.schema.json: the event type is not in the catalogue`);
  if (!validate(data)) throw new Error(`${type} data: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(data)}`);
}

/** Throws with ajv's messages when `payload` does not match the named schema (e.g. `device-state`); an event's `data` too. */
export function assertContract(name: string, payload: unknown): void {
  const validate = validators.get(name);
  if (!validate) throw new Error(`no schema docs/contract/${name}.schema.json`);
  if (!validate(payload)) throw new Error(`${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(payload)}`);
  // An event's data has the schema of its type: the envelope alone says only "an object".
  if (name === 'event') {
    const e = payload as { type: string; data: unknown };
    assertEventData(e.type, e.data);
  }
}

/** The schema name for a message on a station topic (`S/...`), or undefined for replies. */
export function schemaForTopic(topic: string, body: Record<string, unknown>): string | undefined {
  const rest = topic.split('/').slice(2).join('/');
  if (rest === 'status') return body['online'] === true ? 'status-birth' : 'status-offline';
  if (rest.startsWith('devices/')) return 'device-state';
  if (rest === 'alarms' || rest === 'availability') return rest;
  if (rest === 'events') return 'event';
  if (rest.startsWith('replies/')) return 'reply';
  if (rest === 'config') return 'config-report';
  if (rest === 'desired/config') return 'desired-config';
  return undefined;
}
