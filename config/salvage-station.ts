import type { z } from 'zod';
import { stationShapeSchema } from './station-schema.js';

/*
 * A station file with a wrong part still has right parts, and a crew should hear about all of them
 * in one `validate`. zod runs the checks across sections only on a value whose shapes are all
 * right, so the loader parses a stand-in: the raw file with each wrong part replaced by a harmless
 * value that passes (a wrong device by an inert one at the same index, so paths and line numbers
 * stay those of the file), and then runs the cross-checks, profiles and named files on that. A
 * check about a stand-in says nothing about the file and is dropped.
 */

export interface Salvaged {
  /** The raw file with every wrong part replaced or removed. */
  value: Record<string, unknown>;
  /** Indexes of devices replaced by stand-ins. */
  standIns: ReadonlySet<number>;
  /** Top-level sections (`cloud`) and keys in them (`cloud.url`) replaced by stand-ins or removed. */
  replaced: ReadonlySet<string>;
}

/** Stand-ins for the sections a station file must have. */
const REQUIRED: Readonly<Record<string, unknown>> = {
  station: { id: 'unparsed' },
  cloud: { url: 'mqtt://unparsed.invalid' },
  storage: { path: 'unparsed.db' },
};

/** Stand-ins for the keys a section must have; a wrong optional key is removed (its default stands in). */
const REQUIRED_KEYS: Readonly<Record<string, unknown>> = {
  'station.id': 'unparsed',
  'cloud.url': 'mqtt://unparsed.invalid',
  'storage.path': 'unparsed.db',
  'access.trustedKeys': 'unparsed.json',
  'metrics.listen': '127.0.0.1:0',
  'statusPage.listen': '127.0.0.1:0',
  'statusPage.passwordFile': 'unparsed',
};

/** A device that passes every check and shares nothing: a PIR on a board at a path no file has. */
function standInDevice(index: number, raw: unknown): Record<string, unknown> {
  const id = (raw as { id?: unknown } | null)?.id;
  return {
    // The device's own id, when it is one, keeps duplicate ids and resource references checked.
    id: typeof id === 'string' && /^[a-z0-9-]{1,64}$/.test(id) ? id : `unparsed-${index}`,
    kind: 'occupancy',
    transport: { type: 'gpio', path: `\u0000unparsed-${index}`, pin: 0 },
  };
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The raw file with the parts `issues` (from stationShapeSchema) point at replaced: single keys
 * first, and whole sections where that still leaves a section failing (a check across its keys,
 * such as water's tankOkPercent above tankLowPercent). Undefined when the file is too broken for a
 * stand-in (an issue about the file as a whole).
 */
export function salvageStation(raw: unknown, issues: readonly z.core.$ZodIssue[]): Salvaged | undefined {
  const byKey = standIn(raw, issues, new Set());
  const left = byKey && stationShapeSchema.safeParse(byKey.value);
  if (!left || left.success) return byKey;
  return standIn(raw, issues, new Set(left.error.issues.map((i) => String(i.path[0] ?? ''))));
}

function standIn(raw: unknown, issues: readonly z.core.$ZodIssue[], wholeSections: ReadonlySet<string>): Salvaged | undefined {
  if (!isMapping(raw)) return undefined;
  const value: Record<string, unknown> = { ...raw };
  const standIns = new Set<number>();
  const sections = new Set<string>(wholeSections);
  const keys = new Map<string, Set<string>>();
  const unknownKeys = new Map<string, Set<string>>();
  const resources = new Set<string>();
  const add = (m: Map<string, Set<string>>, section: string, key: string): void => void m.set(section, (m.get(section) ?? new Set()).add(key));
  for (const issue of issues) {
    const [head, next] = issue.path;
    if (head === undefined) {
      if (issue.code !== 'unrecognized_keys') return undefined;
      for (const key of issue.keys) sections.add(key);
    } else if (head === 'devices' && typeof next === 'number' && Array.isArray(value['devices'])) standIns.add(next);
    else if (head === 'resources' && typeof next === 'string') resources.add(next);
    else if (head !== 'devices' && head !== 'resources' && next === undefined && issue.code === 'unrecognized_keys') for (const key of issue.keys) add(unknownKeys, String(head), key);
    else if (head !== 'devices' && head !== 'resources' && typeof next === 'string') add(keys, String(head), next);
    else sections.add(String(head));
  }
  const replaced = new Set<string>(sections);
  for (const [section, wrong] of [...keys, ...unknownKeys]) {
    if (sections.has(section) || !isMapping(value[section])) {
      sections.add(section);
      replaced.add(section);
      continue;
    }
    const copy = { ...(value[section] as Record<string, unknown>) };
    for (const key of wrong) {
      const dotted = `${section}.${key}`;
      if (dotted in REQUIRED_KEYS) copy[key] = REQUIRED_KEYS[dotted];
      else delete copy[key];
      replaced.add(dotted);
    }
    value[section] = copy;
  }
  for (const key of sections) {
    if (key in REQUIRED) value[key] = REQUIRED[key];
    else if (key === 'devices') value[key] = [standInDevice(0, undefined)];
    else delete value[key];
  }
  if (!sections.has('devices') && standIns.size > 0) {
    value['devices'] = (value['devices'] as unknown[]).map((d, i) => (standIns.has(i) ? standInDevice(i, d) : d));
  }
  if (sections.has('devices')) standIns.add(0);
  if (resources.size > 0 && !sections.has('resources')) {
    value['resources'] = Object.fromEntries(Object.entries(value['resources'] as Record<string, unknown>).filter(([name]) => !resources.has(name)));
  }
  return { value, standIns, replaced };
}

function standInIds(salvaged: Salvaged): Set<string> {
  const devices = salvaged.value['devices'];
  if (!Array.isArray(devices)) return new Set();
  return new Set([...salvaged.standIns].map((i) => (devices[i] as { id?: unknown } | undefined)?.id).filter((id): id is string => typeof id === 'string'));
}

/** Whether the key path (`cloud.passwordFile`) holds a stand-in rather than the file's value. */
export function isReplaced(salvaged: Salvaged | undefined, path: readonly PropertyKey[]): boolean {
  if (!salvaged) return false;
  const [head, key] = path;
  return salvaged.replaced.has(String(head)) || (key !== undefined && salvaged.replaced.has(`${String(head)}.${String(key)}`));
}

/** Whether a cross-check issue found on the stand-in is about the file (kept) or the stand-in (dropped). */
export function isAboutTheFile(issue: z.core.$ZodIssue, salvaged: Salvaged): boolean {
  const [head, index, key] = issue.path;
  if (isReplaced(salvaged, issue.path)) return false;
  if (head === 'devices' && typeof index === 'number' && salvaged.standIns.has(index)) return key === 'id';
  if (head === 'resources') {
    // With no device list to look in, "no device with that id" says nothing; nor does what a stand-in device is.
    if (key === 'device' && salvaged.replaced.has('devices')) return false;
    const resources = salvaged.value['resources'];
    const device = isMapping(resources) && isMapping(resources[String(index)]) ? (resources[String(index)] as { device?: unknown }).device : undefined;
    if (typeof device === 'string' && standInIds(salvaged).has(device)) return false;
  }
  return true;
}
