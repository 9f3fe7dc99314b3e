import { z } from 'zod';
import { profileSchema } from './profile-schema.js';
import { stationConfigSchema } from './station-schema.js';

/*
 * Renders the configuration reference (docs/configuration.md) from the zod schemas, so the
 * documentation cannot drift from what the gateway accepts: a test fails when it is stale.
 */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  not?: unknown;
}

interface Row {
  key: string;
  type: string;
  required: boolean;
  default: string;
  description: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function toJson(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return variants.map(typeOf).join(' \\| ');
  if (s.not !== undefined) return 'not allowed';
  let t = Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
  if (t === 'array' && s.items) t = `list of ${typeOf(s.items)}`;
  const range: string[] = [];
  if (s.minimum !== undefined && s.minimum > -MAX_SAFE) range.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < MAX_SAFE) range.push(`≤ ${s.maximum}`);
  return range.length ? `${t} (${range.join(', ')})` : t;
}

function walk(s: JsonSchema, prefix: string, required: boolean, rows: Row[]): void {
  const isObject = s.properties !== undefined;
  if (prefix) {
    rows.push({
      key: prefix,
      type: isObject ? 'mapping' : typeOf(s),
      required,
      default: s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``,
      description: (s.description ?? '') + (s.pattern && !s.description ? `pattern \`${s.pattern}\`` : ''),
    });
  }
  if (s.properties) {
    for (const [k, child] of Object.entries(s.properties)) {
      if (child.not !== undefined) continue; // keys that exist only to be refused (inline secrets)
      walk(child, prefix ? `${prefix}.${k}` : k, (s.required ?? []).includes(k), rows);
    }
  }
  if (s.items?.properties) walk(s.items, `${prefix}[]`, true, rows);
  if (typeof s.additionalProperties === 'object' && s.additionalProperties.properties) {
    walk(s.additionalProperties, `${prefix}.<name>`, true, rows);
  }
  for (const v of s.oneOf ?? []) {
    const tag = v.properties?.['type']?.const;
    if (tag === undefined || !v.properties) continue;
    rows.push({ key: `${prefix} (type: ${String(tag)})`, type: 'mapping', required: false, default: '', description: v.description ?? '' });
    for (const [k, child] of Object.entries(v.properties)) {
      if (k === 'type') continue;
      walk(child, `${prefix}.${k}`, (v.required ?? []).includes(k), rows);
    }
  }
}

function table(rows: Row[]): string {
  const esc = (x: string): string => x.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| key | type | required | default | meaning |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| \`${r.key}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${r.default} | ${esc(r.description)} |`);
  return lines.join('\n');
}

export function renderConfigReference(): string {
  const stationRows: Row[] = [];
  walk(toJson(stationConfigSchema), '', true, stationRows);
  const profileRows: Row[] = [];
  walk(toJson(profileSchema), '', true, profileRows);
  return `# Configuration reference

<!-- Generated from config/station-schema.ts and config/profile-schema.ts by \`npm run docs:config\`. Do not edit by hand. -->

A station is one YAML file (see \`config/demo-station.yaml\` and \`deploy/station.example.yaml\`).
Relative paths in it are relative to the file's own folder. Secrets are never inline: the file names
files that hold them (\`cloud.passwordFile\`, \`cloud.key\`), readable by the gateway's user only.
\`station-gateway validate --config FILE\` checks a file and prints one line per problem
(\`file:line: key.path: what is wrong\`), exit code 2 when there is any. It checks everything
\`run\` meets at start, in one round: the keys below, the checks across them (ids, resources,
devices sharing a line or a unit id), the profiles (with their own lines) and the files the station
names (TLS material, the trusted keys, the status page password). \`run\` refuses the same file with
the same lines and exit code 2.

## Station file

${table(stationRows)}

## Device profile (\`config/profiles/*.yaml\`)

A Modbus device's register map as data. A device names its profile by name (looked up in a
\`profiles/\` folder beside the station file, then among the shipped ones) or by path.

${table(profileRows)}
`;
}
