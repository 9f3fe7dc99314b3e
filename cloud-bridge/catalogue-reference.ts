import { z } from 'zod';
import { ALARM_CATALOGUE, ALARM_SEVERITIES, type AlarmEntry } from './alarm-catalogue.js';
import { EVENT_CATALOGUE, type EventEntry } from './event-catalogue.js';

/**
 * Renders docs/alarms-and-events.md and docs/contract/events/<type>.schema.json from the alarm and
 * event catalogues; `write-contract-reference` writes them with the rest of the contract, and a
 * test fails when the committed files differ from what this renders.
 */

const SCHEMA_BASE = 'https://station-gateway.dev/contract/v1/events/';

export const eventSchemaFile = (type: string): string => `contract/events/${type}.schema.json`;

/** The JSON Schema of one event type's `data`, as committed under docs/contract/events/. */
export function eventDataJsonSchema(type: string): Record<string, unknown> {
  const entry = (EVENT_CATALOGUE as Record<string, EventEntry>)[type];
  if (!entry) throw new Error(`no event type ${type} in the catalogue`);
  const { $schema, ...rest } = z.toJSONSchema(entry.data, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return { $schema, $id: `${SCHEMA_BASE}${type}.schema.json`, title: `${type} data`, description: entry.description, ...rest };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

function renderPage(): string {
  const out: string[] = [
    '# Alarms and events',
    '',
    '<!-- Generated from cloud-bridge/alarm-catalogue.ts and cloud-bridge/event-catalogue.ts by `npm run docs:contract`; do not edit. -->',
    '',
    'Every alarm the gateway raises on `S/alarms` and every event type it publishes on `S/events` ([mqtt-topics.md](mqtt-topics.md)).',
    'The tests fail when the code raises an alarm or records an event type that is not here, raises an alarm with another severity,',
    'or when something listed here is raised by nothing; they validate the events a real station publishes against the schemas below.',
    '',
    '## Alarms',
    '',
    `Severities, worst first: ${ALARM_SEVERITIES.map((s) => `\`${s}\``).join(', ')}. \`<n>\` in a name is a cabinet door number, from 1.`,
    'An alarm concerning a device carries its id in `device`; `detail` holds the values that explain it.',
    '',
    '| alarm | severity | device | raised when | cleared when | what a crew does |',
    '|---|---|---|---|---|---|',
  ];
  for (const a of ALARM_CATALOGUE as readonly AlarmEntry[]) {
    out.push(`| \`${a.name}\` | ${a.severities.join(' or ')} | ${a.raisedFor === 'station' ? 'none (the station)' : a.raisedFor === 'any' ? 'the device concerned' : `\`${a.raisedFor}\``} | ${cell(a.raisedWhen)} | ${cell(a.clearedWhen)} | ${cell(a.crew)} |`);
  }
  out.push(
    '',
    '## Events',
    '',
    'Each event is `{"id","ts","type","device"?,"data"}` ([event](contract/event.schema.json)); the schema of its `data` depends on',
    '`type`. Fields are added, never renamed: a consumer ignores the fields it does not know.',
    '',
    '| type | device | what happened | data |',
    '|---|---|---|---|',
  );
  for (const [type, e] of Object.entries(EVENT_CATALOGUE as Record<string, EventEntry>)) {
    const device = e.device === 'station' ? 'none' : e.device === 'any' ? 'the device concerned, if one' : `\`${e.device}\``;
    out.push(`| \`${type}\` | ${device} | ${cell(e.description)} | [${type}](${eventSchemaFile(type)}) |`);
  }
  for (const type of Object.keys(EVENT_CATALOGUE)) {
    const schema = eventDataJsonSchema(type);
    const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    out.push('', `### ${type}`, '', `${String(schema['description'])} Schema: [${eventSchemaFile(type)}](${eventSchemaFile(type)}).`);
    if (Object.keys(props).length === 0) {
      out.push('', 'No fields.');
      continue;
    }
    out.push('', '| field | required | meaning |', '|---|---|---|');
    for (const [key, p] of Object.entries(props)) out.push(`| \`${key}\` | ${required.has(key) ? 'yes' : 'no'} | ${cell(describe(p))} |`);
  }
  return `${out.join('\n')}\n`;
}

/** A field's meaning with its type folded in, for people; the JSON Schema is exact. */
function describe(p: Record<string, unknown>): string {
  const variants = Array.isArray(p['anyOf']) ? (p['anyOf'] as Record<string, unknown>[]) : [p];
  const types = variants.map((v) => ('const' in v ? `\`${JSON.stringify(v['const'])}\`` : Array.isArray(v['enum']) ? (v['enum'] as unknown[]).map((x) => `\`${String(x)}\``).join(', ') : String(v['type'] ?? 'any')));
  const description = p['description'] ?? variants.map((v) => v['description']).find((d) => d !== undefined);
  return `${types.join(' or ')}${description ? `: ${String(description)}` : ''}`;
}

/** Every file generated from the catalogues, path relative to docs/ → content. */
export function renderCatalogueFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const type of Object.keys(EVENT_CATALOGUE)) files.set(eventSchemaFile(type), `${JSON.stringify(eventDataJsonSchema(type), null, 2)}\n`);
  files.set('alarms-and-events.md', renderPage());
  return files;
}
