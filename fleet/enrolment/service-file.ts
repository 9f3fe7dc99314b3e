import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../../config/config-error.js';
import { brokerUrlProblem } from '../../config/network-address.js';
import { lineOf, readCheckedYamlFile, renderPath } from '../../config/read-yaml-file.js';
import { CLAIM_ID, HARDWARE_ID, STATION_ID } from '../../gateway/enrolment/enrolment-protocol.js';

/*
 * The enrolment service's file: the operator's broker account, the fleet CA, and the claims, each
 * with how often and when it may be used and the plan of the stations it may enrol (a hardware id
 * or a one-time code → a station id, and the station file template that station gets). Relative
 * paths are relative to this file's folder. docs/enrolment.md has an example.
 */

const file = (what: string) => z.string().min(1).describe(what);

const planEntry = z
  .strictObject({
    stationId: z.string().regex(STATION_ID, 'must be a station id: a-z, 0-9 and -, at most 64'),
    hardwareId: z.string().regex(HARDWARE_ID).optional().describe('the box\'s hardware id (its /etc/machine-id)'),
    code: z.string().min(4).max(64).optional().describe('a one-time code the box\'s claim file carries'),
    template: file('this station\'s own station file template').optional(),
  })
  .refine((e) => e.hardwareId !== undefined || e.code !== undefined, { message: 'give hardwareId or code (or both): what the box is recognised by' });

const claimSchema = z.strictObject({
  uses: z.union([z.literal('once'), z.number().int().min(1)]).describe('how many boxes the claim may enrol: once, or N'),
  from: z.iso.datetime({ offset: true }).optional().describe('not before this time (ISO-8601)'),
  until: z.iso.datetime({ offset: true }).optional().describe('not after this time (ISO-8601)'),
  template: file('the station file template of this claim\'s stations: YAML; station.id is set to each station\'s id').optional(),
  stations: z.array(planEntry).min(1).describe('the plan: which boxes the claim may enrol, as which stations'),
});

export const serviceFileSchema = z.strictObject({
  broker: z.strictObject({
    url: z
      .string()
      .regex(/^mqtts?:\/\/[^/\s]+$/, 'must be mqtt://host:port or mqtts://host:port')
      .superRefine((url, ctx) => {
        const problem = brokerUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    ca: file('CA certificate that signed the broker').optional(),
    cert: file('the service\'s own client certificate (the operator\'s account)').optional(),
    key: file('its private key').optional(),
    protocolVersion: z.literal([4, 5]).default(5),
  }),
  topicPrefix: z.string().regex(/^[^#+\s\u0000]+$/).default('stations').describe('the stations\' cloud.topicPrefix'),
  ca: z.strictObject({ cert: file('the fleet CA\'s certificate'), key: file('the fleet CA\'s private key') }),
  stationCa: file('the CA bundle sent to stations as their cloud.ca (default: broker.ca)').optional(),
  validityDays: z.number().int().min(1).max(825).default(365).describe('how long a station certificate is valid'),
  stateFile: file('where the claims\' use counts are kept (JSON, rewritten atomically)'),
  claims: z.record(z.string().regex(CLAIM_ID, 'a claim id: letters, digits, . _ -, at most 64'), claimSchema),
});

export type ServiceFile = z.output<typeof serviceFileSchema>;
export type ClaimPlan = ServiceFile['claims'][string];
export type PlanEntry = ClaimPlan['stations'][number];

export interface LoadedServiceFile extends ServiceFile {
  file: string;
  /** Template text by absolute path, read and checked at load. */
  templates: Map<string, string>;
}

/** The template a plan entry gets: its own, or its claim's. */
export function templateOf(service: LoadedServiceFile, claim: ClaimPlan, entry: PlanEntry): string | undefined {
  const path = entry.template ?? claim.template;
  return path === undefined ? undefined : service.templates.get(path);
}

export function loadServiceFile(path: string): LoadedServiceFile {
  const { value: f, parsed, file: abs, at } = readCheckedYamlFile(path, serviceFileSchema);
  const claims: ServiceFile['claims'] = {};
  for (const [id, c] of Object.entries(f.claims)) {
    const claim: ClaimPlan = { ...c, stations: c.stations.map((e) => (e.template === undefined ? e : { ...e, template: at(e.template) })) };
    if (c.template !== undefined) claim.template = at(c.template);
    claims[id] = claim;
  }
  const out: LoadedServiceFile = {
    ...f,
    file: abs,
    broker: {
      ...f.broker,
      ...(f.broker.ca === undefined ? {} : { ca: at(f.broker.ca) }),
      ...(f.broker.cert === undefined ? {} : { cert: at(f.broker.cert) }),
      ...(f.broker.key === undefined ? {} : { key: at(f.broker.key) }),
    },
    ca: { cert: at(f.ca.cert), key: at(f.ca.key) },
    stateFile: at(f.stateFile),
    claims,
    templates: new Map(),
  };
  const stationCa = f.stationCa ?? f.broker.ca;
  if (stationCa !== undefined) out.stationCa = at(stationCa);

  const found: ConfigProblem[] = [];
  const problem = (keyPath: Array<string | number>, message: string): void => {
    found.push({ file: abs, line: lineOf(parsed, keyPath), path: renderPath(keyPath), message });
  };
  if (out.stationCa === undefined) problem(['stationCa'], 'name the CA bundle stations trust for their broker (stationCa or broker.ca)');
  const stationOwner = new Map<string, string>();
  for (const [id, claim] of Object.entries(out.claims)) {
    if (claim.from && claim.until && Date.parse(claim.from) >= Date.parse(claim.until)) problem(['claims', id, 'until'], 'must be after from');
    const seen = new Set<string>();
    claim.stations.forEach((entry, i) => {
      const where = ['claims', id, 'stations', i];
      const owner = stationOwner.get(entry.stationId);
      if (owner !== undefined) problem([...where, 'stationId'], `station ${entry.stationId} is in the plan of ${owner} already`);
      stationOwner.set(entry.stationId, `${id}`);
      for (const key of [entry.hardwareId && `hardwareId ${entry.hardwareId}`, entry.code && `code ${entry.code}`]) {
        if (!key) continue;
        if (seen.has(key)) problem(where, `${key} is in this claim's plan twice`);
        seen.add(key);
      }
      const template = entry.template ?? claim.template;
      if (template === undefined) problem(where, 'no template: give the claim a template, or this station one');
      else if (!out.templates.has(template)) {
        const text = readTemplate(template, (message) => problem(entry.template === undefined ? ['claims', id, 'template'] : [...where, 'template'], message));
        if (text !== undefined) out.templates.set(template, text);
      }
    });
  }
  if (found.length > 0) throw new ConfigError(found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return out;
}

function readTemplate(path: string, problem: (message: string) => void): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problem(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return undefined;
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return void problem(`${path} is not YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || !('station' in value)) return void problem(`${path} is not a station file (no station: section)`);
  return text;
}
