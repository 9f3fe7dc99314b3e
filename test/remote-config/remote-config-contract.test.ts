import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configDocumentPayloadSchema,
  configReportSchema,
  desiredConfigSchema,
  remoteConfigTopics,
  unsafeDocumentPath,
} from '../../cloud-bridge/remote-config-contract.js';

/*
 * The remote-configuration payloads as JSON Schema (draft 2020-12, generated from the zod schemas
 * as the contract reference generates every other one), checked with ajv, an implementation
 * independent of zod: what a fleet back end written in another language would validate with.
 */
const ajv = new Ajv2020({ strict: false, allErrors: true });
const jsonSchema = (schema: z.ZodType): object => z.toJSONSchema(schema, { target: 'draft-2020-12' }) as object;
const report = ajv.compile(jsonSchema(configReportSchema));
const desired = ajv.compile(jsonSchema(desiredConfigSchema));
const payload = ajv.compile(jsonSchema(configDocumentPayloadSchema));

const REPORT = {
  revision: 7,
  documentHash: 'a'.repeat(64),
  state: 'rejected',
  running: 6,
  code: 'CONFIG_INVALID',
  problems: ['/var/lib/station-gateway/remote-config/revisions/7/station.yaml:14: devices[0] (cabinet-1).pollMs: must be at least 50'],
  drift: [{ file: '/etc/station-gateway/station.yaml', expected: 'b'.repeat(64), actual: null }],
  ts: '2026-12-01T10:00:03.120Z',
};

describe('the remote configuration contract', () => {
  it('names S/desired/config and S/config under the station\'s root', () => {
    expect(remoteConfigTopics('stations', 'hz-0001')).toEqual({ desired: 'stations/hz-0001/desired/config', report: 'stations/hz-0001/config' });
  });

  it('a report: zod and the JSON Schema agree on good and bad ones', () => {
    const cases: Array<[unknown, boolean]> = [
      [REPORT, true],
      [{ ...REPORT, revision: null, documentHash: null, running: null, code: undefined }, true],
      [{ ...REPORT, state: 'rolled back' }, false],
      [{ ...REPORT, revision: 0 }, false],
      [{ ...REPORT, documentHash: 'xyz' }, false],
      [{ ...REPORT, extra: 1 }, false],
      [{ ...REPORT, ts: '2026-12-01 10:00' }, false],
    ];
    for (const [value, ok] of cases) {
      const clean = JSON.parse(JSON.stringify(value)) as unknown;
      expect(configReportSchema.safeParse(clean).success, JSON.stringify(value)).toBe(ok);
      expect(report(clean), JSON.stringify(value)).toBe(ok);
    }
  });

  it('the desired message and the signed payload', () => {
    expect(desired({ document: 'eyJ.eyJ.sig' })).toBe(true);
    expect(desired({ document: '' })).toBe(false);
    expect(desired({ document: 'x'.repeat(60 * 1024 + 1) })).toBe(false);
    const good = { typ: 'station-config', station: 'hz-0001', revision: 1, issuedAt: '2026-12-01T10:00:00.000Z', files: { 'station.yaml': 'x' } };
    expect(payload(good)).toBe(true);
    expect(payload({ ...good, typ: 'JWT' })).toBe(false);
    expect(payload({ ...good, station: 'HZ 1' })).toBe(false);
  });

  it('a document path stays inside the revision folder', () => {
    for (const ok of ['station.yaml', 'profiles/cabinet-acme.yaml', 'keys/config-keys.jwks.json', 'a/b/c/d.yaml']) expect(unsafeDocumentPath(ok), ok).toBeUndefined();
    for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', './x', 'a//b', '.x', 'a/b/c/d/e.yaml', 'a\\..\\b', 'x\u0000y']) expect(unsafeDocumentPath(bad), bad).toBeDefined();
  });
});
